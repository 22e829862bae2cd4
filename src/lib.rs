//! eks-token: mint Amazon EKS authentication tokens without an AWS SDK.
//!
//! Data flows one way: arguments and environment → [`settings`] → [`credentials`] →
//! presigned URL ([`token`], [`sigv4`]) → ExecCredential ([`output`]). I/O (files, clock,
//! network, environment) stays at the edges and is passed in.

pub mod cli;
pub mod credentials;
pub mod env;
pub mod error;
pub mod exec_info;
pub mod http;
pub mod output;
pub mod secret;
pub mod sigv4;
pub mod token;

pub use error::{Error, Result};
