//! The ARI description (Swagger 1.2 JSON from `reference/asterisk-ari/`),
//! loaded at test time, and the checks the ARI double applies: every
//! request must name a resource path and method the files define, with only
//! the parameters they allow (required ones present, types and enumerated
//! values respected, no repeats unless `allowMultiple`); every event must
//! be a model of `events.json` with its required fields, no undeclared
//! fields, and the declared types (recursively: `Channel`, `Playback`...).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub multiple: bool,
    pub data_type: String,
    pub allowed: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub segments: Vec<String>,
    pub nickname: String,
    pub params: Vec<Param>,
}

#[derive(Debug)]
pub struct Spec {
    pub ops: Vec<Operation>,
    pub models: HashMap<String, Value>,
}

/// `reference/asterisk-ari/` beside the repository (`../shared/...`).
pub fn reference_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../../../shared/reference/asterisk-ari"),
        PathBuf::from("/work/shared/reference/asterisk-ari"),
    ];
    candidates
        .iter()
        .find(|p| p.join("resources.json").is_file())
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the ARI description {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn type_ok(data_type: &str, value: &str) -> bool {
    match data_type {
        "int" | "long" => value.parse::<i64>().is_ok(),
        "double" => value.parse::<f64>().is_ok(),
        "boolean" => matches!(value, "true" | "false"),
        _ => true,
    }
}

impl Spec {
    pub fn load(dir: &Path) -> Spec {
        let resources = read(&dir.join("resources.json"));
        let mut ops = Vec::new();
        let mut models = HashMap::new();
        let apis = resources["apis"].as_array().expect("resources.json apis");
        for api in apis {
            let listing = api["path"].as_str().expect("api path");
            // "/api-docs/channels.{format}" -> channels.json
            let file = listing
                .trim_start_matches("/api-docs/")
                .replace(".{format}", ".json");
            let doc = read(&dir.join(&file));
            for a in doc["apis"].as_array().into_iter().flatten() {
                let path = a["path"].as_str().expect("path").to_owned();
                let segments = path
                    .trim_start_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect::<Vec<_>>();
                for o in a["operations"].as_array().into_iter().flatten() {
                    let params = o["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| Param {
                            name: p["name"].as_str().unwrap_or_default().to_owned(),
                            kind: p["paramType"].as_str().unwrap_or_default().to_owned(),
                            required: p["required"].as_bool().unwrap_or(false),
                            multiple: p["allowMultiple"].as_bool().unwrap_or(false),
                            data_type: p["dataType"].as_str().unwrap_or_default().to_owned(),
                            allowed: p["allowableValues"]["values"].as_array().map(|v| {
                                v.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            }),
                        })
                        .collect();
                    ops.push(Operation {
                        method: o["httpMethod"].as_str().unwrap_or_default().to_owned(),
                        path: path.clone(),
                        segments: segments.clone(),
                        nickname: o["nickname"].as_str().unwrap_or_default().to_owned(),
                        params,
                    });
                }
            }
            if let Some(m) = doc["models"].as_object() {
                for (name, model) in m {
                    models.insert(name.clone(), model.clone());
                }
            }
        }
        assert!(
            ops.len() > 50,
            "the ARI description looks incomplete ({} operations)",
            ops.len()
        );
        Spec { ops, models }
    }

    /// The operation a request names, with its path parameters, or why
    /// the request is not in the description. `path` is after `/ari`.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<(&Operation, HashMap<String, String>), String> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(&Operation, usize, HashMap<String, String>)> = None;
        let mut path_known = false;
        for op in &self.ops {
            if op.segments.len() != segs.len() {
                continue;
            }
            let mut literal = 0;
            let mut vars = HashMap::new();
            let ok = op.segments.iter().zip(&segs).all(|(t, s)| {
                if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    vars.insert(name.to_owned(), (*s).to_owned());
                    !s.is_empty()
                } else {
                    literal += 1;
                    t == s
                }
            });
            if !ok {
                continue;
            }
            path_known = true;
            if op.method != method {
                continue;
            }
            if best.as_ref().is_none_or(|(_, l, _)| literal > *l) {
                best = Some((op, literal, vars));
            }
        }
        let Some((op, _, vars)) = best else {
            return Err(if path_known {
                format!("{method} is not an operation of {path}")
            } else {
                format!("{path} is not an ARI resource")
            });
        };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (name, value) in query {
            let Some(p) = op
                .params
                .iter()
                .find(|p| p.name == *name && p.kind == "query")
            else {
                return Err(format!(
                    "{} ({}) has no query parameter {name:?}",
                    op.nickname, op.path
                ));
            };
            let count = seen.entry(p.name.as_str()).or_default();
            *count += 1;
            if !p.multiple && *count > 1 {
                return Err(format!("{}: {name} may be given once", op.nickname));
            }
            let values: Vec<&str> = if p.multiple {
                value.split(',').collect()
            } else {
                vec![value.as_str()]
            };
            for v in values {
                if !type_ok(&p.data_type, v) {
                    return Err(format!(
                        "{}: {name}={v:?} is not a {}",
                        op.nickname, p.data_type
                    ));
                }
                if let Some(allowed) = &p.allowed
                    && !allowed.iter().any(|a| a == v)
                {
                    return Err(format!(
                        "{}: {name}={v:?} is not one of {allowed:?}",
                        op.nickname
                    ));
                }
            }
        }
        for p in op.params.iter().filter(|p| p.required && p.kind == "query") {
            if !seen.contains_key(p.name.as_str()) {
                return Err(format!(
                    "{}: required parameter {} is missing",
                    op.nickname, p.name
                ));
            }
        }
        match body {
            None => {
                if let Some(p) = op.params.iter().find(|p| p.required && p.kind == "body") {
                    return Err(format!(
                        "{}: required body {} is missing",
                        op.nickname, p.name
                    ));
                }
            }
            Some(b) => {
                let Some(obj) = b.as_object() else {
                    return Err(format!("{}: the body is not a JSON object", op.nickname));
                };
                for key in obj.keys() {
                    if !op.params.iter().any(|p| p.kind == "body" && p.name == *key) {
                        return Err(format!(
                            "{}: the body has no parameter {key:?}",
                            op.nickname
                        ));
                    }
                }
            }
        }
        Ok((op, vars))
    }

    fn parent(&self, name: &str) -> Option<&str> {
        self.models.iter().find_map(|(n, m)| {
            m["subTypes"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x.as_str() == Some(name)))
                .then_some(n.as_str())
        })
    }

    fn properties(&self, name: &str) -> Result<serde_json::Map<String, Value>, String> {
        let model = self
            .models
            .get(name)
            .ok_or_else(|| format!("no model {name}"))?;
        let mut props = match self.parent(name) {
            Some(p) => self.properties(p)?,
            None => serde_json::Map::new(),
        };
        if let Some(own) = model["properties"].as_object() {
            props.extend(own.clone());
        }
        Ok(props)
    }

    fn check_value(&self, ty: &str, v: &Value, at: &str) -> Result<(), String> {
        let ok = match ty {
            "string" => v.is_string(),
            "int" | "long" => v.is_i64() || v.is_u64(),
            "double" => v.is_number(),
            "boolean" => v.is_boolean(),
            "object" | "containers" => v.is_object(),
            "Date" => v.as_str().is_some_and(|s| {
                chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%z").is_ok()
            }),
            list if list.starts_with("List[") => {
                let inner = &list[5..list.len() - 1];
                let Some(items) = v.as_array() else {
                    return Err(format!("{at}: not a list"));
                };
                for (i, item) in items.iter().enumerate() {
                    self.check_value(inner, item, &format!("{at}[{i}]"))?;
                }
                true
            }
            model => return self.check_model(model, v, at),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{at}: {v} is not a {ty}"))
        }
    }

    fn check_model(&self, name: &str, v: &Value, at: &str) -> Result<(), String> {
        let Some(obj) = v.as_object() else {
            return Err(format!("{at}: a {name} must be an object"));
        };
        let props = self.properties(name)?;
        for (key, value) in obj {
            let Some(p) = props.get(key) else {
                return Err(format!("{at}: {name} has no field {key:?}"));
            };
            if value.is_null() {
                continue;
            }
            self.check_value(
                p["type"].as_str().unwrap_or("object"),
                value,
                &format!("{at}.{key}"),
            )?;
        }
        for (key, p) in &props {
            if p["required"].as_bool() == Some(true) && obj.get(key).is_none_or(Value::is_null) {
                return Err(format!("{at}: {name} lacks required field {key:?}"));
            }
        }
        Ok(())
    }

    /// Checks a websocket event against `events.json`.
    pub fn check_event(&self, v: &Value) -> Result<(), String> {
        let ty = v["type"].as_str().ok_or("event without a type")?;
        let mut p = self.parent(ty);
        let mut is_message = false;
        while let Some(name) = p {
            if name == "Message" {
                is_message = true;
                break;
            }
            p = self.parent(name);
        }
        if !is_message {
            return Err(format!("{ty} is not an event of events.json"));
        }
        self.check_model(ty, v, ty)
    }

    /// Checks a response body against a model (e.g. `Channel`).
    pub fn check_model_value(&self, model: &str, v: &Value) -> Result<(), String> {
        self.check_model(model, v, model)
    }
}
