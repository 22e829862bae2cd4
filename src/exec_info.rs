//! `KUBERNETES_EXEC_INFO`: what kubectl tells an exec plugin. We take the ExecCredential
//! `apiVersion` to answer with, `spec.interactive`, and — with `provideClusterInfo: true` — the
//! cluster's server URL and its `client.authentication.k8s.io/exec` extension
//! (`spec.cluster.config`), which is how one kubeconfig user entry serves every cluster.
//!
//! Parsing never fails: problems become warnings, and a value we could not read is simply
//! absent, so it only matters if nothing else supplies it.

use serde_json::Value;

pub const VARIABLE: &str = "KUBERNETES_EXEC_INFO";

/// The ExecCredential API versions kubectl speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    V1Beta1,
    V1Alpha1,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "client.authentication.k8s.io/v1",
            ApiVersion::V1Beta1 => "client.authentication.k8s.io/v1beta1",
            ApiVersion::V1Alpha1 => "client.authentication.k8s.io/v1alpha1",
        }
    }
}

/// The cluster's settings from `spec.cluster.config`, each as written there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterConfig {
    pub cluster_name: Option<String>,
    pub cluster_id: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// What we understood of `KUBERNETES_EXEC_INFO`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecInfo {
    /// Was the variable set at all? (Without it, there is no kubectl telling us anything.)
    pub present: bool,
    pub api_version: ApiVersion,
    pub interactive: Option<bool>,
    /// `spec.cluster.server`.
    pub server: Option<String>,
    pub config: ClusterConfig,
    /// Set when the variable was there but could not be read as JSON: said again if a value
    /// we then lack might have come from it.
    pub malformed: Option<String>,
    /// Lines for stderr.
    pub warnings: Vec<String>,
}

impl Default for ExecInfo {
    fn default() -> ExecInfo {
        ExecInfo {
            present: false,
            api_version: ApiVersion::V1Beta1,
            interactive: None,
            server: None,
            config: ClusterConfig::default(),
            malformed: None,
            warnings: Vec::new(),
        }
    }
}

/// Keys we read from the cluster's exec extension; others are warned about (they are typos).
const CONFIG_KEYS: [&str; 7] = [
    "clusterName",
    "clusterId",
    "region",
    "profile",
    "roleArn",
    "sessionName",
    "externalId",
];

/// Parse the variable's value (`None`: not set).
pub fn parse(raw: Option<&str>) -> ExecInfo {
    let mut info = ExecInfo::default();
    let Some(raw) = raw else { return info };
    info.present = true;
    let doc: Value = match serde_json::from_str(raw) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            let why = match serde_json::from_str::<Value>(raw) {
                Err(e) => format!("is not valid JSON ({e})"),
                Ok(_) => "is not a JSON object".to_string(),
            };
            info.warnings.push(format!(
                "{VARIABLE} {why}; answering with {}",
                ApiVersion::V1Beta1.as_str()
            ));
            info.malformed = Some(why);
            return info;
        }
    };
    info.api_version = match doc.get("apiVersion").and_then(Value::as_str) {
        Some("client.authentication.k8s.io/v1") => ApiVersion::V1,
        Some("client.authentication.k8s.io/v1beta1") => ApiVersion::V1Beta1,
        Some("client.authentication.k8s.io/v1alpha1") => {
            info.warnings.push(
                "client.authentication.k8s.io/v1alpha1 is deprecated and was removed in Kubernetes 1.24; \
                 use v1 or v1beta1 in the kubeconfig's exec apiVersion"
                    .to_string(),
            );
            ApiVersion::V1Alpha1
        }
        other => {
            let what = match other {
                Some(v) => format!("has an unknown apiVersion {v:?}"),
                None => "has no apiVersion".to_string(),
            };
            info.warnings.push(format!(
                "{VARIABLE} {what}; answering with {}",
                ApiVersion::V1Beta1.as_str()
            ));
            ApiVersion::V1Beta1
        }
    };
    let spec = doc.get("spec");
    info.interactive = spec
        .and_then(|s| s.get("interactive"))
        .and_then(Value::as_bool);
    let cluster = spec.and_then(|s| s.get("cluster"));
    info.server = cluster
        .and_then(|c| c.get("server"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match cluster.and_then(|c| c.get("config")) {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let slot = match key.as_str() {
                    "clusterName" => &mut info.config.cluster_name,
                    "clusterId" => &mut info.config.cluster_id,
                    "region" => &mut info.config.region,
                    "profile" => &mut info.config.profile,
                    "roleArn" => &mut info.config.role_arn,
                    "sessionName" => &mut info.config.session_name,
                    "externalId" => &mut info.config.external_id,
                    _ => {
                        info.warnings.push(format!(
                            "ignoring unknown key {key:?} in the cluster's client.authentication.k8s.io/exec \
                             extension (known: {})",
                            CONFIG_KEYS.join(", ")
                        ));
                        continue;
                    }
                };
                match value {
                    Value::String(s) if !s.is_empty() => *slot = Some(s.clone()),
                    Value::String(_) | Value::Null => {}
                    _ => info.warnings.push(format!(
                        "ignoring {key} in the cluster's client.authentication.k8s.io/exec extension: \
                         it must be a string"
                    )),
                }
            }
        }
        Some(_) => info.warnings.push(
            "ignoring the cluster's client.authentication.k8s.io/exec extension: it must be an object"
                .to_string(),
        ),
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_v1beta1_silently() {
        let i = parse(None);
        assert_eq!(i.api_version, ApiVersion::V1Beta1);
        assert!(i.warnings.is_empty() && !i.present);
    }

    #[test]
    fn versions_are_echoed_and_v1alpha1_warns() {
        let v = |s: &str| {
            parse(Some(&format!(
                r#"{{"apiVersion":"client.authentication.k8s.io/{s}"}}"#
            )))
        };
        assert_eq!(v("v1").api_version, ApiVersion::V1);
        assert!(v("v1").warnings.is_empty());
        assert_eq!(v("v1beta1").api_version, ApiVersion::V1Beta1);
        let a = v("v1alpha1");
        assert_eq!(a.api_version, ApiVersion::V1Alpha1);
        assert!(a.warnings[0].contains("deprecated"));
        let u = v("v2");
        assert_eq!(u.api_version, ApiVersion::V1Beta1);
        assert!(u.warnings[0].contains("unknown apiVersion"));
    }

    #[test]
    fn malformed_json_warns_and_falls_back() {
        for raw in ["{", "[]", "42", ""] {
            let i = parse(Some(raw));
            assert_eq!(i.api_version, ApiVersion::V1Beta1, "{raw}");
            assert!(i.malformed.is_some() && i.warnings.len() == 1, "{raw}");
        }
        let i = parse(Some("{}"));
        assert!(i.warnings[0].contains("no apiVersion"));
    }

    #[test]
    fn reads_cluster_config_as_kubectl_sends_it() {
        let raw = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",
          "spec":{"interactive":true,"cluster":{"server":"https://ABC.gr7.eu-west-1.eks.amazonaws.com",
          "certificate-authority-data":"LS0t","config":{"clusterName":"prod","region":"eu-west-1",
          "profile":"p","roleArn":"arn:aws:iam::1:role/r","sessionName":"s","externalId":"x","clusterId":"id",
          "clustername":"typo","region2":3}}}}"#;
        let i = parse(Some(raw));
        assert_eq!(i.interactive, Some(true));
        assert_eq!(
            i.server.as_deref(),
            Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com")
        );
        let c = &i.config;
        assert_eq!(c.cluster_name.as_deref(), Some("prod"));
        assert_eq!(c.cluster_id.as_deref(), Some("id"));
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.profile.as_deref(), Some("p"));
        assert_eq!(c.role_arn.as_deref(), Some("arn:aws:iam::1:role/r"));
        assert_eq!(c.session_name.as_deref(), Some("s"));
        assert_eq!(c.external_id.as_deref(), Some("x"));
        assert_eq!(i.warnings.len(), 2, "{:?}", i.warnings);
    }

    #[test]
    fn wrong_types_are_ignored_with_a_warning() {
        let i = parse(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"config":{"region":5}}}}"#,
        ));
        assert_eq!(i.config.region, None);
        assert!(i.warnings[0].contains("must be a string"));
        let i = parse(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"config":"x"}}}"#,
        ));
        assert!(i.warnings[0].contains("must be an object"));
    }
}
