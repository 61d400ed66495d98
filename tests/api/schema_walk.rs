//! The live schema, read by introspection, for tests that must cover every root field without a
//! hand-kept list: a field added tomorrow is covered tomorrow.

use std::collections::HashMap;

use serde_json::Value;

use crate::harness::TestApp;

/// The standard introspection query of graphql-js 16 with every option on, byte for byte as
/// `getIntrospectionQuery({ descriptions, specifiedByUrl, directiveIsRepeatable, schemaDescription,
/// inputValueDeprecation, oneOf })` generates it: what GraphiQL, schema loaders and code generators
/// send.
pub const INTROSPECTION: &str = include_str!("../fixtures/graphql-js-16.15-introspection-all-options.graphql");

pub struct Schema {
    types: HashMap<String, Value>,
}

/// A root field: its name, its arguments (name + type reference), the named type it returns and
/// whether that type has fields.
pub struct RootField {
    pub name: String,
    pub args: Vec<(String, Value)>,
    pub returns: String,
    pub returns_object: bool,
}

impl Schema {
    pub async fn load(app: &TestApp) -> Schema {
        let data = app.data(INTROSPECTION, serde_json::json!({})).await;
        let types = data["__schema"]["types"]
            .as_array()
            .expect("types")
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        Schema { types }
    }

    pub fn root_fields(&self, root: &str) -> Vec<RootField> {
        self.types[root]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| RootField {
                name: f["name"].as_str().unwrap().to_owned(),
                args: f["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| (a["name"].as_str().unwrap().to_owned(), a["type"].clone()))
                    .collect(),
                returns: self.named(&f["type"])["name"].as_str().unwrap().to_owned(),
                returns_object: matches!(
                    self.named(&f["type"])["kind"].as_str(),
                    Some("OBJECT" | "INTERFACE" | "UNION")
                ),
            })
            .collect()
    }

    /// The type called `name`, as introspection describes it.
    pub fn get(&self, name: &str) -> &Value {
        self.types.get(name).unwrap_or_else(|| panic!("no type {name} in the schema"))
    }

    /// The object types implementing `interface`, in the schema's order.
    pub fn implementations(&self, interface: &str) -> Vec<String> {
        let types = self.get(interface)["possibleTypes"].as_array().expect("an interface");
        types.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    }

    /// `value` as a GraphQL literal of type `ty`: enum values bare, input objects by their
    /// fields' types, a single value where a list is expected as it is (input coercion wraps it).
    pub fn literal(&self, ty: &Value, value: &Value) -> String {
        match (ty["kind"].as_str().unwrap(), value) {
            (_, Value::Null) => "null".into(),
            ("NON_NULL", _) => self.literal(&ty["ofType"], value),
            ("LIST", Value::Array(items)) => {
                let items: Vec<String> = items.iter().map(|v| self.literal(&ty["ofType"], v)).collect();
                format!("[{}]", items.join(", "))
            }
            ("LIST", _) => self.literal(&ty["ofType"], value),
            _ => {
                let named = self.named(ty);
                match (named["kind"].as_str().unwrap(), value) {
                    ("ENUM", Value::String(name)) => name.clone(),
                    ("INPUT_OBJECT", Value::Object(fields)) => {
                        let fields: Vec<String> = fields
                            .iter()
                            .map(|(name, v)| format!("{name}: {}", self.literal(self.input_field_type(named, name), v)))
                            .collect();
                        format!("{{{}}}", fields.join(", "))
                    }
                    // A JSON string, number or boolean is also a GraphQL literal.
                    _ => value.to_string(),
                }
            }
        }
    }

    fn input_field_type<'a>(&self, input: &'a Value, field: &str) -> &'a Value {
        let fields = input["inputFields"].as_array().expect("an input object");
        let found = fields.iter().find(|f| f["name"] == field);
        &found.unwrap_or_else(|| panic!("no field {field} in {}", input["name"]))["type"]
    }

    /// The named type at the bottom of a type reference.
    pub fn named(&self, mut ty: &Value) -> &Value {
        while ty["name"].is_null() {
            ty = &ty["ofType"];
        }
        &self.types[ty["name"].as_str().unwrap()]
    }

    /// A GraphQL literal that passes validation and input coercion for `ty`: required input fields
    /// only, one item per list, the first enum value.
    pub fn minimal(&self, ty: &Value) -> String {
        match ty["kind"].as_str().unwrap() {
            "NON_NULL" => self.minimal(&ty["ofType"]),
            "LIST" => format!("[{}]", self.minimal(&ty["ofType"])),
            _ => {
                let t = &self.types[ty["name"].as_str().unwrap()];
                match t["kind"].as_str().unwrap() {
                    "ENUM" => t["enumValues"][0]["name"].as_str().unwrap().to_owned(),
                    "INPUT_OBJECT" => {
                        let fields: Vec<String> = t["inputFields"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter(|f| f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null())
                            .map(|f| format!("{}: {}", f["name"].as_str().unwrap(), self.minimal(&f["type"])))
                            .collect();
                        format!("{{{}}}", fields.join(", "))
                    }
                    _ => scalar_literal(t["name"].as_str().unwrap()),
                }
            }
        }
    }

    /// A call of `field` with minimal arguments for its required ones, selecting `__typename`.
    pub fn minimal_call(&self, field: &RootField) -> String {
        let args: Vec<String> = field
            .args
            .iter()
            .filter(|(_, ty)| ty["kind"] == "NON_NULL")
            .map(|(name, ty)| format!("{name}: {}", self.minimal(ty)))
            .collect();
        let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
        let selection = if field.returns_object { " { __typename }" } else { "" };
        format!("{}{args}{selection}", field.name)
    }
}

fn scalar_literal(name: &str) -> String {
    match name {
        "Int" => "1".into(),
        "Float" => "1.0".into(),
        "Boolean" => "false".into(),
        "DateTime" => "\"2026-01-01T00:00:00Z\"".into(),
        "Date" => "\"2026-01-01\"".into(),
        "Decimal" => "\"1.00\"".into(),
        "JSON" => "{}".into(),
        _ => "\"X_1\"".into(),
    }
}

/// The GraphQL spelling of a type reference (`[LeadFilter!]!`).
pub fn type_text(ty: &Value) -> String {
    match ty["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_text(&ty["ofType"])),
        "LIST" => format!("[{}]", type_text(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap().to_owned(),
    }
}
