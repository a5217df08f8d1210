//! `retry-sched`: see the crate README.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
