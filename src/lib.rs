//! eks-token: mint Amazon EKS authentication tokens without an AWS SDK.
//!
//! Data flows one way: arguments and environment → [`settings`] → [`credentials`] →
//! presigned URL ([`token`], [`sigv4`]) → ExecCredential ([`output`]). I/O (files, clock,
//! network, environment) stays at the edges and is passed in.

pub mod credentials;
pub mod env;
pub mod error;
pub mod http;
pub mod secret;
pub mod sigv4;
pub mod sts;
pub mod transport;

pub use error::{Error, Result};
