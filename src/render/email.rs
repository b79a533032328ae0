//! E-mail: one message (RFC 5322, `.eml`) holding the document as HTML
//! and as plain text, with its PDF attached, built by lettre.
//!
//! Everything a mail library would make up — the date, the Message-ID,
//! the MIME boundaries — comes from the inputs instead, so the same
//! document always gives the same bytes.

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use super::RenderError;

/// Who writes to whom, about what, and when.
pub struct Envelope<'a> {
    pub from_name: &'a str,
    pub from_email: &'a str,
    pub to_name: Option<&'a str>,
    pub to_email: &'a str,
    pub subject: &'a str,
    /// The day the message is dated (midnight UTC).
    pub date: chrono::NaiveDate,
    /// The PDF's file name.
    pub attachment_name: &'a str,
}

/// The message: `html` and `text` as alternatives, `pdf` attached.
pub fn eml(
    envelope: &Envelope<'_>,
    html: &str,
    text: &str,
    pdf: &[u8],
) -> Result<Vec<u8>, RenderError> {
    let mailbox = |name: Option<&str>, email: &str, field: &str| -> Result<Mailbox, RenderError> {
        let address = email
            .parse()
            .map_err(|e| RenderError::Message(format!("the {field} address `{email}`: {e}")))?;
        Ok(Mailbox::new(name.map(str::to_owned), address))
    };
    let mut digest = Sha256::new();
    for part in [
        envelope.from_email.as_bytes(),
        envelope.to_email.as_bytes(),
        envelope.subject.as_bytes(),
        html.as_bytes(),
        text.as_bytes(),
        pdf,
    ] {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part);
    }
    let seed = crate::digest::hex(&digest.finalize()[..16]);
    let midnight = envelope
        .date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or_default();
    let pdf_type =
        ContentType::parse("application/pdf").map_err(|e| RenderError::Message(e.to_string()))?;
    let message = Message::builder()
        .from(mailbox(
            Some(envelope.from_name),
            envelope.from_email,
            "sender's",
        )?)
        .to(mailbox(envelope.to_name, envelope.to_email, "recipient's")?)
        .subject(envelope.subject)
        .date(SystemTime::UNIX_EPOCH + Duration::from_secs(midnight))
        .message_id(Some(format!("<{seed}@dealdraft>")))
        .multipart(
            MultiPart::mixed()
                .boundary(format!("mixed-{seed}"))
                .multipart(
                    MultiPart::alternative()
                        .boundary(format!("alternative-{seed}"))
                        .singlepart(SinglePart::plain(text.to_owned()))
                        .singlepart(SinglePart::html(html.to_owned())),
                )
                .singlepart(
                    Attachment::new(envelope.attachment_name.to_owned())
                        .body(pdf.to_vec(), pdf_type),
                ),
        )
        .map_err(|e| RenderError::Message(e.to_string()))?;
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope<'static> {
        Envelope {
            from_name: "Jana Nováková",
            from_email: "jana@northwind.example",
            to_name: Some("Ada Lindqvist"),
            to_email: "ada@brightwater.example",
            subject: "Proposal for Brightwater Health",
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            attachment_name: "Proposal.pdf",
        }
    }

    #[test]
    fn the_same_inputs_give_the_same_message() {
        let a = eml(&envelope(), "<p>Hi</p>", "Hi", b"%PDF-1.7").unwrap();
        let b = eml(&envelope(), "<p>Hi</p>", "Hi", b"%PDF-1.7").unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8_lossy(&a);
        assert!(
            text.contains("Date: Tue, 24 Nov 2026 00:00:00 +0000"),
            "{text}"
        );
        assert!(text.contains("multipart/alternative"));
        assert_ne!(
            a,
            eml(&envelope(), "<p>Hello</p>", "Hello", b"%PDF-1.7").unwrap()
        );
    }

    #[test]
    fn a_bad_address_is_an_error() {
        let mut bad = envelope();
        bad.to_email = "not an address";
        assert!(matches!(
            eml(&bad, "", "", b""),
            Err(RenderError::Message(m)) if m.contains("recipient")
        ));
    }
}
