//! The command line. Three shapes reach the same flags, so an existing kubeconfig only needs its
//! `command:` changed:
//!   eks-token [token] -c NAME [--region R] [--profile P] …          (ours)
//!   eks-token token -i NAME [-r ROLE] …                             (aws-iam-authenticator)
//!   eks-token [--region R] eks get-token --cluster-name NAME …      (aws eks get-token)
//! Flags may come before or after the subcommand words, as `--flag value` or `--flag=value`.

use crate::{Error, Result};

/// What the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Token(Flags),
    /// `eks-token verify [TOKEN]`: check a token (read from stdin when not given).
    Verify(Flags, Option<String>),
    Help,
    Version,
}

/// Flags as given; precedence against other sources is settled in `settings`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub cluster_name: Option<String>,
    pub cluster_id: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub forward_session_name: bool,
    pub token_only: bool,
    pub debug: bool,
    pub no_cache: bool,
    pub cache_dir: Option<String>,
}

/// One flag: its spellings and whether it takes a value.
struct Spec {
    names: &'static [&'static str],
    value: bool,
}

const SPECS: &[Spec] = &[
    Spec {
        names: &["-c", "--cluster-name"],
        value: true,
    },
    Spec {
        names: &["-i", "--cluster-id"],
        value: true,
    },
    Spec {
        names: &["--region"],
        value: true,
    },
    Spec {
        names: &["--profile"],
        value: true,
    },
    Spec {
        names: &["-r", "--role", "--role-arn"],
        value: true,
    },
    Spec {
        names: &["--session-name"],
        value: true,
    },
    Spec {
        names: &["--external-id"],
        value: true,
    },
    Spec {
        names: &["--forward-session-name"],
        value: false,
    },
    Spec {
        names: &["--token-only"],
        value: false,
    },
    Spec {
        names: &["--output", "-o"],
        value: true,
    },
    Spec {
        names: &["--debug"],
        value: false,
    },
    Spec {
        names: &["--no-cache"],
        value: false,
    },
    Spec {
        names: &["--cache-dir"],
        value: true,
    },
    // aws-iam-authenticator's opt-in cache: ours is on by default, so this changes nothing.
    Spec {
        names: &["--cache"],
        value: false,
    },
    Spec {
        names: &["-h", "--help"],
        value: false,
    },
    Spec {
        names: &["-V", "--version"],
        value: false,
    },
];

/// Parse the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command> {
    let mut flags = Flags::default();
    let mut words: Vec<&str> = Vec::new();
    let mut help = false;
    let mut version = false;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        if arg == "--" {
            words.extend(args[i..].iter().map(String::as_str));
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            words.push(arg);
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg, None),
        };
        let spec = SPECS
            .iter()
            .find(|s| s.names.contains(&name))
            .ok_or_else(|| Error::Usage(format!("unknown flag {name}")))?;
        let canonical = spec.names[spec.names.len() - 1];
        let value = if spec.value {
            let v = match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(i)
                        .ok_or_else(|| Error::Usage(format!("{name} needs a value")))?;
                    i += 1;
                    v.as_str()
                }
            };
            if v.is_empty() {
                return Err(Error::Usage(format!("{name} needs a non-empty value")));
            }
            Some(v.to_string())
        } else {
            if inline.is_some() {
                return Err(Error::Usage(format!("{name} takes no value")));
            }
            None
        };
        match (canonical, value) {
            ("--cluster-name", v) => flags.cluster_name = v,
            ("--cluster-id", v) => flags.cluster_id = v,
            ("--region", v) => flags.region = v,
            ("--profile", v) => flags.profile = v,
            ("--role-arn", v) => flags.role_arn = v,
            ("--session-name", v) => flags.session_name = v,
            ("--external-id", v) => flags.external_id = v,
            ("--cache-dir", v) => flags.cache_dir = v,
            ("--forward-session-name", _) => flags.forward_session_name = true,
            ("--token-only", _) => flags.token_only = true,
            ("--debug", _) => flags.debug = true,
            ("--no-cache", _) => flags.no_cache = true,
            ("--cache", _) => {}
            ("--help", _) => help = true,
            ("--version", _) => version = true,
            // awscli's `--output json` is the only output that is an ExecCredential.
            ("-o", Some(v)) if v != "json" => {
                return Err(Error::Usage(format!(
                    "--output {v} is not supported: kubectl reads JSON (drop --output, or use --token-only)"
                )));
            }
            _ => {}
        }
    }
    if help {
        return Ok(Command::Help);
    }
    if version {
        return Ok(Command::Version);
    }
    match words.as_slice() {
        [] | ["token"] | ["eks", "get-token"] => Ok(Command::Token(flags)),
        ["verify"] => Ok(Command::Verify(flags, None)),
        ["verify", t] => Ok(Command::Verify(flags, Some(t.to_string()))),
        ["eks", other, ..] => Err(Error::Usage(format!(
            "only `eks get-token` is supported, not `eks {other}`"
        ))),
        [w, ..] => Err(Error::Usage(format!(
            "unexpected argument {w:?}: expected `token`, `eks get-token` or `verify`"
        ))),
    }
}

pub const HELP: &str = "\
eks-token: mint an Amazon EKS authentication token (an ExecCredential for kubectl)

USAGE:
    eks-token [token] [--cluster-name NAME | --cluster-id ID] [FLAGS]
    eks-token token -i NAME [-r ROLE_ARN]                  (aws-iam-authenticator shape)
    eks-token [--region R] eks get-token --cluster-name NAME  (aws eks get-token shape)
    eks-token verify [TOKEN] [--cluster-name NAME]        (check a token; reads stdin without TOKEN)

With `provideClusterInfo: true` in the kubeconfig, the cluster's
client.authentication.k8s.io/exec extension supplies clusterName, clusterId, region,
profile, roleArn, sessionName and externalId, so one user entry serves every cluster.

FLAGS:
    -c, --cluster-name NAME    EKS cluster name (signed as x-k8s-aws-id)
    -i, --cluster-id ID        cluster id (Outposts local clusters; aws-iam-authenticator's -i)
        --region REGION        AWS region of the STS endpoint
        --profile PROFILE      profile in ~/.aws/config and ~/.aws/credentials
    -r, --role-arn ARN         role to assume on top of the found credentials (also --role)
        --session-name NAME    session name for --role-arn
        --external-id ID       external id for --role-arn
        --forward-session-name use the caller's own session name for --role-arn
        --token-only           print only the token, not the ExecCredential
        --output json          accepted for `aws eks get-token` compatibility
        --no-cache             do not read or write the credential cache
        --cache-dir DIR        where to cache credentials that expire
        --debug                explain each step on stderr (never secrets)
    -h, --help                 this text
    -V, --version              the version

Precedence: flag > cluster config from KUBERNETES_EXEC_INFO > region in the cluster's
EKS server URL > environment (AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE, ...) > profile.
Output: the ExecCredential (or token) on stdout; everything else on stderr.
Exit codes: 0 ok, 1 failure, 2 usage.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn flags(args: &[&str]) -> Flags {
        match p(args) {
            Ok(Command::Token(f)) => f,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn our_shape() {
        let f = flags(&[
            "-c",
            "prod",
            "--region=eu-west-1",
            "--profile",
            "p",
            "--token-only",
        ]);
        assert_eq!(f.cluster_name.as_deref(), Some("prod"));
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
        assert_eq!(f.profile.as_deref(), Some("p"));
        assert!(f.token_only);
        assert_eq!(flags(&[]), Flags::default());
    }

    #[test]
    fn authenticator_shape() {
        let f = flags(&[
            "token",
            "-i",
            "prod",
            "-r",
            "arn:aws:iam::1:role/x",
            "--forward-session-name",
            "--cache",
        ]);
        assert_eq!(f.cluster_id.as_deref(), Some("prod"));
        assert_eq!(f.role_arn.as_deref(), Some("arn:aws:iam::1:role/x"));
        assert!(f.forward_session_name);
    }

    #[test]
    fn awscli_shape_with_global_flags_first() {
        let f = flags(&[
            "--region",
            "us-east-2",
            "eks",
            "get-token",
            "--cluster-name",
            "c",
            "--output",
            "json",
        ]);
        assert_eq!(f.region.as_deref(), Some("us-east-2"));
        assert_eq!(f.cluster_name.as_deref(), Some("c"));
        let f = flags(&[
            "eks",
            "get-token",
            "--cluster-name",
            "c",
            "--role-arn",
            "arn:x",
            "--profile",
            "p",
        ]);
        assert_eq!(f.role_arn.as_deref(), Some("arn:x"));
    }

    #[test]
    fn usage_errors_name_the_problem() {
        for (args, says) in [
            (&["--nope"][..], "unknown flag --nope"),
            (&["-c"][..], "-c needs a value"),
            (&["--region="][..], "non-empty"),
            (&["--token-only=yes"][..], "takes no value"),
            (&["eks", "list-clusters"][..], "eks list-clusters"),
            (&["bogus"][..], "unexpected argument"),
            (
                &["--output", "text", "eks", "get-token"][..],
                "--output text",
            ),
        ] {
            match p(args) {
                Err(e @ Error::Usage(_)) => {
                    assert!(e.to_string().contains(says), "{args:?}: {e}");
                    assert_eq!(e.exit_code(), 2);
                }
                other => panic!("{args:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn help_version_verify() {
        assert_eq!(p(&["--help"]).unwrap(), Command::Help);
        assert_eq!(p(&["token", "-h"]).unwrap(), Command::Help);
        assert_eq!(p(&["-V"]).unwrap(), Command::Version);
        assert!(matches!(
            p(&["verify", "k8s-aws-v1.x"]).unwrap(),
            Command::Verify(_, Some(_))
        ));
    }
}
