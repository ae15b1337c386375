//! Import files: CSV (with a header row) or JSON lines, one row per subject, parsed into
//! changes; a bad row is reported with its line number and the others go through.
//!
//! Columns / keys: `contact` or `company` (an Intercom id, exactly one of them), then any of
//! `health`, `stage`, `pulse`, `url` (or `profile_url`), `licence_utilization`, `cs_owner`,
//! `cs_owner_email` (`-` and `_` alike). In CSV an empty cell leaves the field as it is; in
//! JSON lines an absent key leaves it and `null` clears it.

use icsync_domain::{CsField, CsPatch, CsSubject};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Csv,
    JsonLines,
}

impl ImportFormat {
    /// From a file name: `.csv` is CSV; `.jsonl`, `.ndjson` and `.json` are JSON lines.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" | "json" => Some(Self::JsonLines),
            _ => None,
        }
    }
}

/// One parsed row, or why it could not be parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRow {
    /// 1-based line in the file.
    pub line: u64,
    pub row: Result<(CsSubject, CsPatch), String>,
}

/// A problem with the whole file (nothing was imported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

enum Cell {
    Absent,
    Null,
    Text(String),
    Number(String),
}

/// Parses a whole file.
pub fn parse(text: &str, format: ImportFormat) -> Result<Vec<ParsedRow>, FileError> {
    match format {
        ImportFormat::Csv => parse_csv(text),
        ImportFormat::JsonLines => Ok(parse_json_lines(text)),
    }
}

fn parse_csv(text: &str) -> Result<Vec<ParsedRow>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| FileError(format!("cannot read the CSV header row: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase().replace('-', "_"))
        .collect();
    for header in &headers {
        if header != "contact" && header != "company" && CsField::parse(header).is_none() {
            return Err(FileError(format!(
                "unknown column `{header}`; columns are contact or company, then health, stage, pulse, url, licence_utilization, cs_owner, cs_owner_email"
            )));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                let cells = headers
                    .iter()
                    .zip(record.iter())
                    .map(|(h, v)| {
                        let cell = if v.is_empty() {
                            Cell::Absent
                        } else {
                            Cell::Text(v.to_owned())
                        };
                        (h.clone(), cell)
                    })
                    .collect();
                rows.push(ParsedRow {
                    line,
                    row: row_from(cells),
                });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push(ParsedRow {
                    line,
                    row: Err(format!("not a valid CSV row: {e}")),
                });
            }
        }
    }
    Ok(rows)
}

fn parse_json_lines(text: &str) -> Vec<ParsedRow> {
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => {
                let mut cells = HashMap::new();
                let mut bad = None;
                for (key, value) in map {
                    let key = key.to_ascii_lowercase().replace('-', "_");
                    let cell = match value {
                        Value::Null => Cell::Null,
                        Value::String(s) => Cell::Text(s),
                        Value::Number(n) => Cell::Number(n.to_string()),
                        other => {
                            bad = Some(format!(
                                "`{key}` must be a string, a number or null, not {other}"
                            ));
                            break;
                        }
                    };
                    cells.insert(key, cell);
                }
                match bad {
                    Some(problem) => Err(problem),
                    None => row_from(cells),
                }
            }
            Ok(_) => Err("each line must be one JSON object".to_owned()),
            Err(e) => Err(format!("not valid JSON: {e}")),
        };
        rows.push(ParsedRow { line: line_no, row });
    }
    rows
}

fn row_from(mut cells: HashMap<String, Cell>) -> Result<(CsSubject, CsPatch), String> {
    let id = |cell: Option<Cell>| match cell {
        Some(Cell::Text(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    let subject = match (id(cells.remove("contact")), id(cells.remove("company"))) {
        (Some(contact), None) => CsSubject::Contact(contact),
        (None, Some(company)) => CsSubject::Company(company),
        (Some(_), Some(_)) => return Err("give contact or company, not both".into()),
        (None, None) => return Err("give the Intercom id of a contact or a company".into()),
    };
    let mut patch = CsPatch::default();
    for (key, cell) in cells {
        let field = CsField::parse(&key).ok_or_else(|| format!("unknown field `{key}`"))?;
        if field.is_decimal() {
            let value = match cell {
                Cell::Absent => continue,
                Cell::Null => None,
                Cell::Text(s) | Cell::Number(s) => Some(
                    Decimal::from_str(s.trim())
                        .or_else(|_| Decimal::from_scientific(s.trim()))
                        .map_err(|_| format!("{} {s:?} is not a number", field.name()))?,
                ),
            };
            match field {
                CsField::Health => patch.health = Some(value),
                _ => patch.licence_utilization = Some(value),
            }
        } else {
            let value = match cell {
                Cell::Absent => continue,
                Cell::Null => None,
                Cell::Text(s) => Some(s),
                Cell::Number(_) => {
                    return Err(format!("{} must be text, not a number", field.name()));
                }
            };
            let slot = match field {
                CsField::Stage => &mut patch.stage,
                CsField::Pulse => &mut patch.pulse,
                CsField::ProfileUrl => &mut patch.profile_url,
                CsField::CsOwner => &mut patch.cs_owner,
                _ => &mut patch.cs_owner_email,
            };
            *slot = Some(value);
        }
    }
    Ok((subject, patch))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test
mod tests {
    use super::*;

    #[test]
    fn csv_rows_parse_and_bad_ones_carry_their_line() {
        let text = "contact,health,stage,cs-owner\nc1,72.5,adoption,Grace\nc2,lots,,\n,10,,\nc3,,renewal,\n";
        let rows = parse(text, ImportFormat::Csv).unwrap();
        assert_eq!(rows.len(), 4);
        let (subject, patch) = rows[0].row.clone().unwrap();
        assert_eq!(subject, CsSubject::Contact("c1".into()));
        assert_eq!(patch.health, Some(Some(Decimal::new(725, 1))));
        assert_eq!(patch.cs_owner, Some(Some("Grace".into())));
        assert_eq!(rows[1].line, 3);
        assert!(rows[1].row.as_ref().unwrap_err().contains("not a number"));
        assert_eq!(rows[2].line, 4);
        let (_, patch) = rows[3].row.clone().unwrap();
        assert_eq!(patch.health, None, "an empty cell keeps the field");
        assert!(parse("contact,mood\nc1,sad\n", ImportFormat::Csv).is_err());
    }

    #[test]
    fn json_lines_parse_with_null_clearing() {
        let text = "{\"company\":\"co1\",\"health\":40,\"cs_owner\":null}\n\n{\"contact\":\"c1\",\"stage\":[1]}\nnot json\n";
        let rows = parse(text, ImportFormat::JsonLines).unwrap();
        assert_eq!(rows.len(), 3);
        let (subject, patch) = rows[0].row.clone().unwrap();
        assert_eq!(subject, CsSubject::Company("co1".into()));
        assert_eq!(patch.health, Some(Some(Decimal::from(40))));
        assert_eq!(patch.cs_owner, Some(None));
        assert_eq!((rows[1].line, rows[2].line), (3, 4));
        assert!(rows[1].row.is_err() && rows[2].row.is_err());
    }
}
