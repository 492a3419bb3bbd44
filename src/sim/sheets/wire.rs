//! The `batchUpdate` request bodies as Google's JSON spells them (camelCase, optional
//! everything, proto3 defaults) and their translation into model terms: field masks and
//! `ExtendedValue`s. Unknown JSON fields are ignored, as the client may send more than we keep.

use serde::Deserialize;
use serde_json::Value;

use super::model::{CellValue, NumberFormat};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SheetProperties {
    pub(super) sheet_id: Option<i32>,
    pub(super) title: Option<String>,
    pub(super) index: Option<i32>,
    pub(super) grid_properties: Option<GridProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GridProperties {
    pub(super) row_count: Option<i32>,
    pub(super) column_count: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AddSheet {
    pub(super) properties: Option<SheetProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateSheetProperties {
    pub(super) properties: Option<SheetProperties>,
    pub(super) fields: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GridCoordinate {
    pub(super) sheet_id: Option<i32>,
    pub(super) row_index: Option<i32>,
    pub(super) column_index: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GridRange {
    pub(super) sheet_id: Option<i32>,
    pub(super) start_row_index: Option<i32>,
    pub(super) end_row_index: Option<i32>,
    pub(super) start_column_index: Option<i32>,
    pub(super) end_column_index: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExtendedValue {
    pub(super) string_value: Option<String>,
    pub(super) number_value: Option<f64>,
    pub(super) bool_value: Option<bool>,
    pub(super) formula_value: Option<String>,
    pub(super) error_value: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CellFormat {
    pub(super) number_format: Option<NumberFormat>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CellData {
    pub(super) user_entered_value: Option<ExtendedValue>,
    pub(super) user_entered_format: Option<CellFormat>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RowData {
    #[serde(default)]
    pub(super) values: Vec<CellData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateCells {
    #[serde(default)]
    pub(super) rows: Vec<RowData>,
    pub(super) fields: Option<String>,
    pub(super) start: Option<GridCoordinate>,
    pub(super) range: Option<GridRange>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AppendCells {
    pub(super) sheet_id: Option<i32>,
    #[serde(default)]
    pub(super) rows: Vec<RowData>,
    pub(super) fields: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AppendDimension {
    pub(super) sheet_id: Option<i32>,
    pub(super) dimension: Option<String>,
    pub(super) length: Option<i32>,
}

/// Which parts of a `CellData` a field mask writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CellMask {
    pub(super) value: bool,
    pub(super) number_format: bool,
}

/// Paths compare without case or underscores, so `user_entered_value` = `userEnteredValue`.
pub(super) fn normalize_path(path: &str) -> String {
    path.trim()
        .chars()
        .filter(|&c| c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

pub(super) fn cell_mask(fields: Option<&str>) -> Result<CellMask, String> {
    let fields = fields.unwrap_or("").trim();
    if fields.is_empty() {
        return Err("At least one field must be specified in 'fields'.".into());
    }
    let mut mask = CellMask {
        value: false,
        number_format: false,
    };
    for path in fields.split(',').map(normalize_path) {
        match path.as_str() {
            "*" => {
                mask.value = true;
                mask.number_format = true;
            }
            "userenteredvalue" => mask.value = true,
            "userenteredformat" | "userenteredformat.numberformat" => mask.number_format = true,
            // Other CellData fields (notes, validation, other formats) are accepted and not kept.
            _ => {}
        }
    }
    Ok(mask)
}

pub(super) fn index(value: Option<i32>, what: &str) -> Result<usize, String> {
    let v = value.unwrap_or(0);
    usize::try_from(v).map_err(|_| format!("{what} must be non-negative, got {v}."))
}

pub(super) fn convert_value(value: Option<&ExtendedValue>) -> Result<Option<CellValue>, String> {
    let Some(v) = value else { return Ok(None) };
    if v.error_value.is_some() {
        return Err("errorValue cannot be written.".into());
    }
    let mut set: Vec<CellValue> = Vec::new();
    if let Some(s) = &v.string_value {
        set.push(CellValue::Text(s.clone()));
    }
    if let Some(n) = v.number_value {
        set.push(CellValue::Number(n));
    }
    if let Some(b) = v.bool_value {
        set.push(CellValue::Bool(b));
    }
    if let Some(f) = &v.formula_value {
        set.push(if f.starts_with('=') {
            CellValue::Formula(f.clone())
        } else {
            CellValue::Text(f.clone())
        });
    }
    if set.len() > 1 {
        return Err(
            "Only one of stringValue, numberValue, boolValue, formulaValue may be set.".into(),
        );
    }
    Ok(set
        .pop()
        .filter(|v| !matches!(v, CellValue::Text(s) if s.is_empty())))
}
