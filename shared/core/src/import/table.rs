//! The format-neutral table both readers produce.

/// A sheet as read: the header row and every later row, each with the row
/// number a person sees (1-based line in a CSV, row in a spreadsheet).
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub header: Vec<String>,
    /// The 1-based number of the first column (a spreadsheet's used range
    /// may start right of column A).
    pub column_base: usize,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// True if every cell is empty or whitespace.
pub(crate) fn is_blank_row(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}
