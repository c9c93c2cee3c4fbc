//! Orders without I/O: the state machines (statuses and states), which action each status allows (one
//! rule for the actions and the links), progress and the end state, the bound of a sub-order.

mod actions;
mod progress;
mod states;

pub use actions::{Action, Asker, Refusal, allowed_actions, check};
pub use progress::{MAX_LABEL_CHARS, Progress, SubOrderBound, generated_label, place_objects};
pub use states::{FileState, OrderStatus, SubOrderState};
