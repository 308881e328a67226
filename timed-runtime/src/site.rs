//! Instrumented sites: one static per `#[timed]` function, registered with `inventory` so the
//! runtime can list every site, called or not.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

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
    /// Dense index into per-site tables, assigned once when the first session starts.
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

/// Every instrumented function linked into this program, in a stable order
/// (component, name, file, line), whether or not it has been called.
pub fn sites() -> &'static [&'static Site] {
    site_table()
}

pub(crate) fn site_table() -> &'static [&'static Site] {
    static TABLE: OnceLock<Vec<&'static Site>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<&'static Site> = inventory::iter::<SiteRegistration>
            .into_iter()
            .map(|registration| registration.0)
            .collect();
        table.sort_by(|a, b| {
            (a.component, a.name, a.file, a.line).cmp(&(b.component, b.name, b.file, b.line))
        });
        // The same static can be submitted twice only through hand-written registrations.
        table.dedup_by(|a, b| std::ptr::eq(*a, *b));
        for (index, site) in table.iter().enumerate() {
            site.index.store(index as u32, Ordering::Relaxed);
        }
        table
    })
}
