//! Reading an import file into rows of named fields: CSV with any common
//! export's headers (the delimiter and a byte-order mark found by
//! themselves), or vCard 3.0/4.0.

use std::collections::BTreeMap;

/// A record read from the file: its first line, and its fields by the
/// name the import uses (`first_name`, `email`, `company`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub fields: BTreeMap<&'static str, String>,
}

/// The fields an import understands, each with the headers (folded: lower
/// case, letters and digits only) other CRMs, address books and
/// spreadsheets write for it. The first header of a field found wins.
const HEADERS: &[(&str, &[&str])] = &[
    // dealdraft's own export: records keep their ids, contacts their account.
    ("id", &["id"]),
    ("account_id", &["accountid"]),
    (
        "first_name",
        &[
            "firstname",
            "givenname",
            "forename",
            "first",
            "vorname",
            "prenom",
        ],
    ),
    (
        "last_name",
        &[
            "lastname",
            "familyname",
            "surname",
            "last",
            "nachname",
            "nom",
        ],
    ),
    (
        "name",
        &["name", "fullname", "contactname", "displayname", "contact"],
    ),
    (
        "email",
        &[
            "email",
            "emailaddress",
            "email1",
            "email1value",
            "primaryemail",
            "workemail",
            "businessemail",
            "mail",
            "emailaddress1",
            "e-mail",
        ],
    ),
    (
        "phone",
        &[
            "phone",
            "phonenumber",
            "businessphone",
            "workphone",
            "mobile",
            "mobilephone",
            "phone1value",
            "telephone",
            "tel",
            "primaryphone",
            "directphone",
        ],
    ),
    (
        "title",
        &[
            "title",
            "jobtitle",
            "position",
            "role",
            "organization1title",
        ],
    ),
    (
        "company",
        &[
            "company",
            "companyname",
            "account",
            "accountname",
            "organization",
            "organisation",
            "organization1name",
            "org",
            "firma",
        ],
    ),
    (
        "domain",
        &[
            "domain",
            "companydomain",
            "companydomainname",
            "website",
            "webpage",
            "url",
            "web",
            "companywebsite",
        ],
    ),
    ("industry", &["industry", "sector", "branche"]),
    (
        "employee_count",
        &[
            "employees",
            "employeecount",
            "numberofemployees",
            "companysize",
            "headcount",
        ],
    ),
    (
        "country",
        &[
            "country",
            "countryregion",
            "countrycode",
            "businesscountryregion",
            "land",
        ],
    ),
    ("credit_status", &["creditstatus"]),
    ("credit_note", &["creditnote"]),
    (
        "address",
        &[
            "address",
            "street",
            "businessstreet",
            "billingaddress",
            "streetaddress",
            "mailingstreet",
        ],
    ),
];

/// A header as the table compares it.
fn fold(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The import field each column holds, if any, with the headers left out.
pub fn mapping(headers: &[String]) -> (Vec<Option<&'static str>>, Vec<String>) {
    let mut taken = Vec::new();
    let mut ignored = Vec::new();
    let columns = headers
        .iter()
        .map(|header| {
            let folded = fold(header);
            let field = HEADERS
                .iter()
                .find(|(field, names)| {
                    !taken.contains(field) && names.iter().any(|n| fold(n) == folded)
                })
                .map(|(field, _)| *field);
            match field {
                Some(f) => taken.push(f),
                None if !header.trim().is_empty() => ignored.push(header.clone()),
                None => {}
            }
            field
        })
        .collect();
    (columns, ignored)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("the file is not UTF-8 text (line {line}): save it as UTF-8 (\"CSV UTF-8\")")]
    NotUtf8 { line: u64 },
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("the file has no header row naming its columns")]
    NoHeader,
    #[error("no column is one an import understands; the columns are: {0}")]
    NoKnownColumn(String),
}

/// What a CSV file holds.
pub struct Table {
    pub rows: Vec<Row>,
    /// Columns read into no field.
    pub ignored: Vec<String>,
    pub delimiter: char,
}

/// Reads a CSV file: a byte-order mark is dropped; the delimiter is the
/// one of `,` `;` and tab that splits the header into the most columns.
pub fn csv(bytes: &[u8]) -> Result<Table, ReadError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        return Err(ReadError::NotUtf8 { line });
    }
    let header_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| {
            csv::ReaderBuilder::new()
                .delimiter(*d)
                .has_headers(false)
                .from_reader(header_line)
                .records()
                .next()
                .and_then(Result::ok)
                .map_or(0, |r| r.len())
        })
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ReadError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ReadError::NoHeader);
    }
    let (columns, ignored) = mapping(&headers);
    if columns.iter().all(Option::is_none) {
        return Err(ReadError::NoKnownColumn(headers.join(", ")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| line_at(bytes, p.byte()));
        let mut row = Row {
            line,
            fields: BTreeMap::new(),
        };
        for (value, field) in record.iter().zip(&columns) {
            let value = value.trim();
            if let (Some(field), false) = (field, value.is_empty()) {
                row.fields.entry(field).or_insert_with(|| value.to_owned());
            }
        }
        if !row.fields.is_empty() {
            rows.push(row);
        }
    }
    Ok(Table {
        rows,
        ignored,
        delimiter: char::from(delimiter),
    })
}

/// The line of the record starting at byte `at`. The reader places a
/// record after `\r\n` at that `\n`, so its own line number would be one
/// short in files with Windows line ends.
fn line_at(bytes: &[u8], at: u64) -> u64 {
    let at = usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
    let start = match bytes.get(at) {
        Some(b'\n') => at + 1,
        _ => at,
    };
    1 + bytes[..start].iter().filter(|b| **b == b'\n').count() as u64
}

/// Whether `bytes` look like vCards rather than CSV.
pub fn is_vcard(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("BEGIN:VCARD")
}

/// Reads vCards (3.0 and 4.0): folded lines are unfolded, escapes undone;
/// of several e-mail addresses or phone numbers the preferred one (`PREF`,
/// `TYPE=pref`) is taken, else the first; photos and what an import has no
/// field for are passed over.
pub fn vcards(bytes: &[u8]) -> Result<Vec<Row>, ReadError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64,
    })?;
    // Unfold: a line that starts with a space or tab continues the last.
    let mut lines: Vec<(u64, String)> = Vec::new();
    for (n, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((n as u64 + 1, raw.to_owned())),
        }
    }
    let mut rows = Vec::new();
    let mut card: Option<Card> = None;
    for (line, content) in lines {
        let Some((head, value)) = content.split_once(':') else {
            continue;
        };
        let mut parts = head.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_uppercase();
        // `item1.EMAIL` (Apple's groups) is EMAIL.
        let name = name.rsplit('.').next().unwrap_or_default().to_owned();
        let params: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
        // How preferred: `PREF=1` most (4.0), `TYPE=pref` as much (3.0),
        // none least.
        let preferred = params
            .iter()
            .filter_map(|p| match p.strip_prefix("pref=") {
                Some(n) => n.trim().parse::<u8>().ok(),
                None => {
                    (p == "pref" || (p.starts_with("type=") && p.contains("pref"))).then_some(1)
                }
            })
            .min()
            .unwrap_or(u8::MAX);
        match name.as_str() {
            "BEGIN" if value.trim().eq_ignore_ascii_case("VCARD") => {
                card = Some(Card {
                    row: Row {
                        line,
                        fields: BTreeMap::new(),
                    },
                    emails: Vec::new(),
                    phones: Vec::new(),
                });
            }
            "END" if value.trim().eq_ignore_ascii_case("VCARD") => {
                if let Some(Card {
                    mut row,
                    emails,
                    phones,
                }) = card.take()
                {
                    for (field, values) in [("email", emails), ("phone", phones)] {
                        // The most preferred; the first of equals.
                        let chosen = values.iter().min_by_key(|(pref, _)| *pref);
                        if let Some((_, v)) = chosen {
                            row.fields.insert(field, v.clone());
                        }
                    }
                    if !row.fields.is_empty() {
                        rows.push(row);
                    }
                }
            }
            _ => {
                let Some(Card {
                    row,
                    emails,
                    phones,
                }) = card.as_mut()
                else {
                    continue;
                };
                let components: Vec<String> = split_unescaped(value, ';');
                let first = components.first().cloned().unwrap_or_default();
                let mut set = |field: &'static str, v: String| {
                    if !v.trim().is_empty() {
                        row.fields
                            .entry(field)
                            .or_insert_with(|| v.trim().to_owned());
                    }
                };
                match name.as_str() {
                    "N" => {
                        set("last_name", first);
                        set("first_name", components.get(1).cloned().unwrap_or_default());
                    }
                    "FN" => set("name", unescape(value)),
                    "ORG" => set("company", first),
                    "TITLE" => set("title", unescape(value)),
                    "URL" => set("domain", unescape(value)),
                    "EMAIL" => emails.push((preferred, unescape(value).trim().to_owned())),
                    "TEL" => phones.push((
                        preferred,
                        unescape(value).trim().trim_start_matches("tel:").to_owned(),
                    )),
                    _ => {}
                }
            }
        }
    }
    Ok(rows)
}

/// A vCard being read: its row, and its e-mail addresses and phone
/// numbers, each with how preferred it is (lower: more).
struct Card {
    row: Row,
    emails: Vec<(u8, String)>,
    phones: Vec<(u8, String)>,
}

/// `value` split at unescaped `separator`s, each part unescaped.
fn split_unescaped(value: &str, separator: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    let last = parts.last_mut().expect("one part at least");
                    last.push('\\');
                    last.push(next);
                }
            }
            c if c == separator => parts.push(String::new()),
            c => parts.last_mut().expect("one part at least").push(c),
        }
    }
    parts.iter().map(|p| unescape(p)).collect()
}

/// vCard text with `\n`, `\,`, `\;` and `\\` undone.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_other_tools_map_to_fields() {
        let headers: Vec<String> = [
            "First Name",
            "Last Name",
            "E-mail Address",
            "Company",
            "Job Title",
            "Favourite colour",
        ]
        .map(str::to_owned)
        .to_vec();
        let (columns, ignored) = mapping(&headers);
        assert_eq!(
            columns,
            vec![
                Some("first_name"),
                Some("last_name"),
                Some("email"),
                Some("company"),
                Some("title"),
                None
            ]
        );
        assert_eq!(ignored, vec!["Favourite colour".to_owned()]);
    }

    #[test]
    fn semicolons_a_bom_and_quoted_newlines_are_read() {
        let file = "\u{feff}Vorname;Nachname;E-Mail;Firma\n\"Jürgen\";Müller;j@m.de;\"Müller; Söhne\nGmbH\"\nAna;Lima;ana@x.com;\n";
        let table = csv(file.as_bytes()).unwrap();
        assert_eq!(table.delimiter, ';');
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].fields["company"], "Müller; Söhne\nGmbH");
        assert_eq!(table.rows[0].fields["email"], "j@m.de");
        assert_eq!(table.rows[1].line, 4);
    }

    #[test]
    fn vcards_unfold_and_prefer_the_preferred_address() {
        let file = "BEGIN:VCARD\r\nVERSION:4.0\r\nN:Lima;Ana;;;\r\nFN:Ana Lima\r\nEMAIL;TYPE=home:ana@home.example\r\nEMAIL;TYPE=work;PREF=1:ana@wo\r\n rk.example\r\nTEL;TYPE=cell:+55 11 5555 0000\r\nORG:Lima\\, Costa & Co;Sales\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n SkZJRg==\r\nEND:VCARD\r\n";
        let rows = vcards(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        let f = &rows[0].fields;
        assert_eq!(f["email"], "ana@work.example");
        assert_eq!(f["first_name"], "Ana");
        assert_eq!(f["last_name"], "Lima");
        assert_eq!(f["company"], "Lima, Costa & Co");
        assert_eq!(f["phone"], "+55 11 5555 0000");
        assert!(is_vcard(file.as_bytes()));
    }

    #[test]
    fn the_lowest_pref_wins_and_windows_line_ends_count_right() {
        let card = "BEGIN:VCARD\nVERSION:4.0\nFN:X\nEMAIL;PREF=2:second@x.example\nEMAIL;PREF=1:first@x.example\nEND:VCARD\n";
        assert_eq!(
            vcards(card.as_bytes()).unwrap()[0].fields["email"],
            "first@x.example"
        );
        let table =
            csv(b"Email,Phone\r\na@x.example,1\r\n\"b@\r\nx\",2\r\nc@x.example,3\r\n").unwrap();
        let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }
}
