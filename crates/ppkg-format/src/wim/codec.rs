//! The seam to the XPRESS codec ([`crate::xpress`]): the writer compresses through this alias so
//! that the codec can be swapped without touching the resource code.

pub(crate) use crate::xpress::Compressor;
