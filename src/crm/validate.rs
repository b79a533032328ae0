//! Field checks shared by the CRM records. Each takes the field's name and
//! records its problem in a [`FieldErrors`], so one request reports every
//! invalid field at once.

use crate::error::FieldErrors;

/// Longest single-line text accepted (names, titles, subjects).
pub const LINE_MAX: usize = 200;
/// Longest multi-line text accepted (addresses, notes, bodies).
pub const TEXT_MAX: usize = 10_000;

#[derive(Default)]
pub struct Check {
    pub errors: FieldErrors,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    /// Trims; blank becomes `None`; longer than `max` characters or holding
    /// control characters (other than new lines and tabs in long text) is an
    /// error.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let value = value?.trim().to_owned();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max {
            self.errors
                .add(field, format!("must be at most {max} characters"));
        }
        let multiline = max > LINE_MAX;
        if value
            .chars()
            .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
        {
            self.errors
                .add(field, "must not contain control characters");
        }
        Some(value)
    }

    /// Like [`Check::text`], but a value is required.
    pub fn required_text(&mut self, field: &str, value: Option<String>, max: usize) -> String {
        let value = self.text(field, value, max);
        self.required(field, value).unwrap_or_default()
    }

    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.errors.add(field, "required");
        }
        value
    }

    pub fn email(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = self.text(field, value, 254)?;
        if !email_address::EmailAddress::is_valid(&value) || !value.contains('.') {
            self.errors.add(field, "is not a valid email address");
        }
        Some(value)
    }

    /// Digits with the usual separators, an optional leading `+` and an
    /// optional extension (`x123`, `ext. 123`).
    pub fn phone(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = self.text(field, value, 40)?;
        let lower = value.to_lowercase();
        let (number, extension) = match lower.find(['x', 'e']) {
            Some(i) => (&lower[..i], Some(&lower[i..])),
            None => (lower.as_str(), None),
        };
        let digits = number.chars().filter(char::is_ascii_digit).count();
        let number_ok = number
            .trim_start()
            .trim_start_matches('+')
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()/".contains(c));
        let extension_ok = extension.is_none_or(|e| {
            let e = e
                .trim_start_matches("ext")
                .trim_start_matches(['x', '.', ' ']);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        });
        if !(number_ok && extension_ok && (3..=20).contains(&digits)) {
            self.errors.add(field, "is not a valid phone number");
        }
        Some(value)
    }

    /// A host name such as `example.com`, stored lower-case.
    pub fn domain(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = self.text(field, value, 253)?.to_lowercase();
        let ok = value.contains('.')
            && value.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !ok {
            self.errors
                .add(field, "is not a domain name such as example.com");
        }
        Some(value)
    }

    /// An ISO 3166-1 alpha-2 country code, stored upper-case.
    pub fn country(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = self.text(field, value, 2)?.to_uppercase();
        if value.len() != 2 || !value.chars().all(|c| c.is_ascii_uppercase()) {
            self.errors
                .add(field, "must be an ISO 3166-1 alpha-2 code such as DE");
        }
        Some(value)
    }

    /// An ISO 4217 currency code, stored upper-case.
    pub fn currency(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = self.text(field, value, 3)?.to_uppercase();
        if iso_currency::Currency::from_code(&value).is_none() {
            self.errors
                .add(field, "must be an ISO 4217 currency code such as EUR");
        }
        Some(value)
    }

    /// A key that templates refer to: `[a-z][a-z0-9_]*`, at most 64 long.
    pub fn key(&mut self, field: &str, value: Option<String>) -> String {
        self.identifier(field, value, '_')
    }

    /// A key that documents and other templates name a template or theme
    /// by: `[a-z][a-z0-9-]*`, at most 64 long.
    pub fn slug(&mut self, field: &str, value: Option<String>) -> String {
        self.identifier(field, value, '-')
    }

    /// A [`Check::slug`] that others name the record by, so it keeps the
    /// value of `current` (the stored one, on a change); `why` says who
    /// names it.
    pub fn fixed_slug(
        &mut self,
        field: &str,
        value: Option<String>,
        current: Option<&str>,
        why: &str,
    ) -> String {
        let value = self.slug(field, value);
        if current.is_some_and(|current| current != value) {
            self.errors.add(field, format!("cannot be changed: {why}"));
        }
        value
    }

    /// Lower-case letters and digits, and `joiner`, starting with a letter.
    fn identifier(&mut self, field: &str, value: Option<String>, joiner: char) -> String {
        let value = self.required_text(field, value, 64);
        let ok = value.starts_with(|c: char| c.is_ascii_lowercase())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == joiner);
        if !value.is_empty() && !ok {
            self.errors.add(
                field,
                format!("must start with a-z and hold only a-z, 0-9 and {joiner}"),
            );
        }
        value
    }

    pub fn range(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) -> Option<i64> {
        if let Some(v) = value
            && !(min..=max).contains(&v)
        {
            self.errors
                .add(field, format!("must be between {min} and {max}"));
        }
        value
    }

    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// Minor units of a currency (2 for EUR, 0 for JPY, 3 for BHD).
pub fn minor_units(currency: &str) -> u32 {
    crate::quotes::pricing::minor_units(currency).unwrap_or(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_accept_common_forms_and_refuse_words() {
        let mut c = Check::new();
        for ok in [
            "+49 30 1234567",
            "(555) 123-4567",
            "030/123 45 67",
            "+1 555 0100 x12",
            "555-0100 ext. 7",
        ] {
            c.phone("phone", Some(ok.into()));
            assert!(c.errors.is_empty(), "{ok} refused");
        }
        c.phone("phone", Some("call me".into()));
        assert!(!c.errors.is_empty());
    }

    #[test]
    fn emails_need_a_domain_with_a_dot() {
        let mut c = Check::new();
        c.email("email", Some("anna@example.com".into()));
        assert!(c.errors.is_empty());
        c.email("email", Some("anna@localhost".into()));
        assert_eq!(c.errors.get("email"), Some("is not a valid email address"));
    }

    #[test]
    fn currencies_have_their_minor_units() {
        assert_eq!(minor_units("EUR"), 2);
        assert_eq!(minor_units("JPY"), 0);
        assert_eq!(minor_units("BHD"), 3);
    }
}
