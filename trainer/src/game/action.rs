//! The four moves, numbered as pgx numbers them so that policies and logs line up with the
//! JAX reference: 0 = left, 1 = up, 2 = right, 3 = down.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Action {
    Left = 0,
    Up = 1,
    Right = 2,
    Down = 3,
}

impl Action {
    /// All actions in index order.
    pub const ALL: [Action; 4] = [Action::Left, Action::Up, Action::Right, Action::Down];

    /// `None` for an index outside `0..4`.
    pub fn from_index(index: u8) -> Option<Action> {
        Action::ALL.get(usize::from(index)).copied()
    }

    pub fn index(self) -> u8 {
        self as u8
    }

    /// The bit of this action in a legal-move mask (bit `a` set when action `a` is legal).
    pub fn mask_bit(self) -> u8 {
        1 << self.index()
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Left => "left",
            Action::Up => "up",
            Action::Right => "right",
            Action::Down => "down",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that width and alignment flags (`{:<5}`) apply.
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_pgx() {
        assert_eq!(Action::Left.index(), 0);
        assert_eq!(Action::Up.index(), 1);
        assert_eq!(Action::Right.index(), 2);
        assert_eq!(Action::Down.index(), 3);
    }

    #[test]
    fn from_index_round_trips_and_rejects_out_of_range() {
        for action in Action::ALL {
            assert_eq!(Action::from_index(action.index()), Some(action));
        }
        assert_eq!(Action::from_index(4), None);
        assert_eq!(Action::from_index(255), None);
    }

    #[test]
    fn mask_bits_and_names() {
        let bits: Vec<u8> = Action::ALL.iter().map(|a| a.mask_bit()).collect();
        assert_eq!(bits, [1, 2, 4, 8]);
        let names: Vec<String> = Action::ALL.iter().map(|a| a.to_string()).collect();
        assert_eq!(names, ["left", "up", "right", "down"]);
        assert_eq!(format!("[{:<5}]", Action::Up), "[up   ]");
    }
}
