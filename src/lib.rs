//! eks-token: mint Amazon EKS authentication tokens without an AWS SDK.
//!
//! Data flows one way: arguments and environment → [`settings`] → [`credentials`] →
//! presigned URL ([`token`], [`sigv4`], [`endpoint`]) → ExecCredential ([`output`]).
//! I/O (files, clock, network, environment) stays at the edges and comes in through [`World`].

pub mod cli;
pub mod credentials;
pub mod endpoint;
pub mod env;
pub mod error;
pub mod exec_info;
pub mod http;
pub mod log;
pub mod output;
pub mod profile;
pub mod secret;
pub mod settings;
pub mod sigv4;
pub mod sts;
mod text;
mod timestamp;
pub mod token;
pub mod transport;
mod url;

pub use error::{Error, Result};

use cli::Command;
use env::{Env, Fs};
use log::Log;
use time::OffsetDateTime;

/// Everything a run reads from outside the process.
pub struct World<'a> {
    pub env: &'a Env,
    pub fs: &'a dyn Fs,
    pub now: OffsetDateTime,
    pub log: &'a Log,
    /// Standard input, read only by `verify` without a token argument.
    pub stdin: &'a dyn Fn() -> std::io::Result<String>,
    /// Is a person at the terminal? (Used only when kubectl did not say: no exec info.)
    pub terminal: bool,
    /// Shows a prompt on stderr and reads one line from the terminal (MFA codes).
    pub prompt: &'a dyn Fn(&str) -> std::io::Result<String>,
    /// The network for credential sources that need it; `None`: the real one (ureq), built
    /// on first use with the CA bundle the settings name.
    pub http: Option<&'a dyn http::Http>,
}

/// Run the command in `args` (without the program name); the result is what goes to stdout.
pub fn run(args: &[String], world: &World) -> Result<String> {
    let command = cli::parse(args)?;
    let (flags, verify) = match command {
        Command::Help => return Ok(cli::HELP.to_string()),
        Command::Version => return Ok(format!("eks-token {}\n", env!("CARGO_PKG_VERSION"))),
        Command::Token(flags) => (flags, None),
        Command::Verify(flags, token) => (flags, Some(token)),
    };
    let exec = exec_info::parse(world.env.get(exec_info::VARIABLE));
    for w in &exec.warnings {
        world.log.warn(w);
    }
    let profiles = profile::load(world.env, world.fs)?;
    let settings = settings::resolve(&flags, &exec, world.env, &profiles)?;
    for w in &settings.warnings {
        world.log.warn(w);
    }
    world.log.debug(format_args!(
        "cluster {} (from {})",
        settings.cluster.value, settings.cluster.origin
    ));
    if let Some(why) =
        credentials::cache::cache_dir_problem(flags.cache_dir.as_deref(), flags.no_cache, world.env)
    {
        world.log.warn(why);
    }
    let cache = credentials::cache::LazyCache::new(credentials::cache::cache_dir(
        flags.cache_dir.as_deref(),
        flags.no_cache,
        world.env,
    ));
    let endpoint = settings::sts_endpoint(&settings, world.env, &profiles)?;
    let sts = sts::StsEndpoint::new(endpoint.url.clone(), endpoint.signing_region.clone());
    // kubectl says whether someone can answer a prompt; without exec info, a terminal can.
    let interactive = exec.interactive.unwrap_or(!exec.present && world.terminal);
    let mfa = |serial: &str| mfa_code(serial, interactive, world.prompt);
    let real_http;
    let http: &dyn http::Http = match world.http {
        Some(h) => h,
        None => {
            real_http = transport::LazyTransport::new(
                world.env,
                settings::ca_bundle(&settings, world.env, &profiles),
            );
            &real_http
        }
    };
    let cx = credentials::Context {
        env: world.env,
        fs: world.fs,
        profiles: &profiles,
        now: world.now,
        log: world.log,
        http,
        sts: &sts,
        mfa: &mfa,
        cache: &cache,
    };
    let creds = credentials::resolve(&settings, &cx)?;
    if settings.region.is_none() && verify.is_none() && endpoint.url == endpoint::STS_GLOBAL_URL {
        world.log.warn(
            "no region set (--region, cluster config, AWS_REGION, profile region): using the global STS \
             endpoint sts.amazonaws.com signed for us-east-1",
        );
    }
    world.log.debug(format_args!(
        "STS endpoint {} signed for {}",
        endpoint.url, endpoint.signing_region
    ));
    let target = token::Target {
        url: &endpoint.url,
        host: &endpoint.host,
        signing_region: &endpoint.signing_region,
    };
    if let Some(given) = verify {
        let text = match given {
            Some(t) => t,
            None => (world.stdin)().map_err(|e| Error::invalid("standard input", e.to_string()))?,
        };
        let t = extract_token(&text)?;
        let d = token::verify(&t, &settings.cluster.value, Some(&creds), world.now)?;
        // The control plane only replays tokens to AWS STS hosts (as written: lower case, no
        // port) over https.
        if !d.url.starts_with("https://") {
            return Err(Error::invalid(
                "token",
                "is not an https URL: EKS would reject it",
            ));
        }
        if d.host != d.host.to_ascii_lowercase() || !endpoint::is_sts_host(&d.host) {
            return Err(Error::invalid(
                "token",
                format!(
                    "points at {}, which is not an AWS STS endpoint: EKS would reject it",
                    d.host
                ),
            ));
        }
        return Ok(format!(
            "ok: token for cluster {} signed by {}\n",
            settings.cluster.value, creds.access_key_id
        ));
    }
    let minted = token::mint(&settings.cluster.value, &target, &creds, world.now);
    world.log.debug(format_args!(
        "token expires at {}",
        token::rfc3339_seconds(minted.expiration)
    ));
    if settings.token_only {
        return Ok(format!("{}\n", minted.token));
    }
    Ok(output::exec_credential(settings.api_version, &minted))
}

/// The current code of MFA device `serial`, asked on the terminal when someone is there.
fn mfa_code(
    serial: &str,
    interactive: bool,
    prompt: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<secret::Secret> {
    let fail = |why: &str| Error::credentials(format!("MFA device {serial}"), why);
    if !interactive {
        return Err(fail(
            "a code is needed but no one can type it (kubectl runs this plugin non-interactively); \
             set interactiveMode: IfAvailable in the kubeconfig's exec section, or run eks-token once \
             in a terminal so the role session is cached",
        ));
    }
    let code = prompt(&format!("MFA code for {serial}: "))
        .map_err(|e| fail(&format!("cannot read the code: {e}")))?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail("the code must be 6 digits"));
    }
    Ok(secret::Secret::new(code))
}

/// A token given to `verify`: bare, or inside an ExecCredential.
fn extract_token(text: &str) -> Result<String> {
    let text = text.trim();
    if text.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid("token input", format!("is not JSON ({e})")))?;
        return v["status"]["token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::invalid("token input", "has no status.token"));
    }
    Ok(text.to_string())
}
