//! Instrumented sites: one static per `#[timed]` function, registered with `inventory` so the
//! runtime can list every site, called or not; and sites created at run time (by the `tracing`
//! layer, one per span name, component, phase and location), leaked so they are as `'static` as
//! the others.

#[cfg(feature = "tracing")]
use std::borrow::Cow;
#[cfg(feature = "tracing")]
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Once, RwLock};

/// A function instrumented with `#[timed]`: where it is and how its calls are labelled.
///
/// Each site is a `static` created by the attribute, so a site's address is its identity and
/// every monomorphisation of a generic function shares one site.
#[derive(Debug)]
pub struct Site {
    name: &'static str,
    phase: &'static str,
    component: &'static str,
    module_path: &'static str,
    file: &'static str,
    line: u32,
    /// Dense index into per-site tables: a linked-in site's is assigned when the first session
    /// starts, a site created at run time gets the next one.
    index: AtomicU32,
}

const UNINDEXED: u32 = u32::MAX;

impl Site {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        phase: &'static str,
        component: &'static str,
        module_path: &'static str,
        file: &'static str,
        line: u32,
    ) -> Site {
        Site {
            name,
            phase,
            component,
            module_path,
            file,
            line,
            index: AtomicU32::new(UNINDEXED),
        }
    }

    /// The operation name written in the log (the function's name unless `name = "..."`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn phase(&self) -> &'static str {
        self.phase
    }

    /// The component whose log receives this site's rows (the crate's name unless
    /// `component = "..."`).
    pub fn component(&self) -> &'static str {
        self.component
    }

    pub fn module_path(&self) -> &'static str {
        self.module_path
    }

    pub fn file(&self) -> &'static str {
        self.file
    }

    pub fn line(&self) -> u32 {
        self.line
    }

    /// `None` for a site that was linked in after the site table was built (a `dlopen`ed library):
    /// such sites are not recorded rather than recorded wrongly.
    #[inline(always)]
    pub(crate) fn index(&self) -> Option<usize> {
        let index = self.index.load(Ordering::Relaxed);
        (index != UNINDEXED).then_some(index as usize)
    }
}

/// What `#[timed]` submits to `inventory`: a pointer to the site's static.
#[doc(hidden)]
pub struct SiteRegistration(pub &'static Site);

inventory::collect!(SiteRegistration);

/// At most this many sites per process, linked-in and created at run time together: a program
/// that keeps inventing span names or phases cannot grow the runtime's memory without bound.
pub(crate) const MAX_SITES: usize = 1 << 16;
const _: () = assert!(UNINDEXED as usize >= MAX_SITES);

/// Every site by index: the linked-in ones first (sorted), then those created at run time, in
/// the order they were created. Only ever appended to, so an index stays valid.
static TABLE: RwLock<Vec<&'static Site>> = RwLock::new(Vec::new());

/// Every instrumented function linked into this program, and every site created at run time
/// (the spans of the `tracing` layer), in a stable order (component, name, file, line), whether
/// or not it has been called.
pub fn sites() -> Vec<&'static Site> {
    let mut sites = site_table();
    sites.sort_by(|a, b| {
        (a.component, a.name, a.file, a.line).cmp(&(b.component, b.name, b.file, b.line))
    });
    sites
}

/// Every site known so far, by index.
pub(crate) fn site_table() -> Vec<&'static Site> {
    index_linked_sites();
    read_table().clone()
}

/// How many sites are known so far.
pub(crate) fn site_count() -> usize {
    index_linked_sites();
    read_table().len()
}

fn read_table() -> std::sync::RwLockReadGuard<'static, Vec<&'static Site>> {
    // The table is only ever appended to after its entries are complete: a panic elsewhere
    // cannot leave it inconsistent.
    TABLE
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_table() -> std::sync::RwLockWriteGuard<'static, Vec<&'static Site>> {
    TABLE
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gives the linked-in sites their indices, once, before any site is created at run time.
fn index_linked_sites() {
    static LINKED: Once = Once::new();
    LINKED.call_once(|| {
        let mut linked: Vec<&'static Site> = inventory::iter::<SiteRegistration>
            .into_iter()
            .map(|registration| registration.0)
            .collect();
        linked.sort_by(|a, b| {
            (a.component, a.name, a.file, a.line).cmp(&(b.component, b.name, b.file, b.line))
        });
        // The same static can be submitted twice only through hand-written registrations.
        linked.dedup_by(|a, b| std::ptr::eq(*a, *b));
        linked.truncate(MAX_SITES);
        for (index, site) in linked.iter().enumerate() {
            site.index.store(index as u32, Ordering::Relaxed);
        }
        *write_table() = linked;
    });
}

#[cfg(feature = "tracing")]
/// What tells two sites created at run time apart: all of a site's labels and its location.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SiteKey {
    pub name: Cow<'static, str>,
    pub phase: Cow<'static, str>,
    pub component: Cow<'static, str>,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
}

#[cfg(feature = "tracing")]
/// The site created at run time for `key`, created (and kept for the life of the process) on
/// first use. `None` once [`MAX_SITES`] sites exist: such calls are not recorded.
pub(crate) fn dynamic_site(key: SiteKey) -> Option<&'static Site> {
    static CREATED: RwLock<Option<HashMap<SiteKey, &'static Site>>> = RwLock::new(None);
    if let Some(site) = CREATED
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .as_ref()
        .and_then(|created| created.get(&key))
    {
        return Some(site);
    }
    index_linked_sites();
    let mut created = CREATED
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let created = created.get_or_insert_with(HashMap::new);
    if let Some(site) = created.get(&key) {
        return Some(site);
    }
    let mut table = write_table();
    if table.len() >= MAX_SITES {
        return None;
    }
    let site: &'static Site = Box::leak(Box::new(Site::new(
        leak(key.name.clone()),
        leak(key.phase.clone()),
        leak(key.component.clone()),
        key.module_path,
        key.file,
        key.line,
    )));
    site.index.store(table.len() as u32, Ordering::Relaxed);
    table.push(site);
    created.insert(key, site);
    Some(site)
}

#[cfg(feature = "tracing")]
/// Text that lives as long as its site, which lives as long as the process.
fn leak(text: Cow<'static, str>) -> &'static str {
    match text {
        Cow::Borrowed(text) => text,
        Cow::Owned(text) => Box::leak(text.into_boxed_str()),
    }
}
