//! The state machines' values as database text: written under their REGARDS names, read strictly (a value
//! no state machine knows is a decoding error, never taken for another state; the database refuses such
//! values too, migration 0007).

use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Decode, Encode, Type};

use crate::domain::order::{FileState, OrderStatus, SubOrderState};

macro_rules! stored_as_text {
    ($state:ty) => {
        impl Type<Any> for $state {
            fn type_info() -> AnyTypeInfo {
                <String as Type<Any>>::type_info()
            }
        }

        impl<'q> Encode<'q, Any> for $state {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <&str as Encode<'q, Any>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> Decode<'r, Any> for $state {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<'r, Any>>::decode(value)?;
                text.parse::<$state>().map_err(|_| {
                    format!("unknown {} {text:?} in the database", stringify!($state)).into()
                })
            }
        }
    };
}

stored_as_text!(OrderStatus);
stored_as_text!(SubOrderState);
stored_as_text!(FileState);
