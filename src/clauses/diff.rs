//! What changed between two versions of a clause, word by word: what legal
//! reads before approving; and, line by line, between two versions of a
//! template's source.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag};
use utoipa::{IntoParams, ToSchema};

use super::versions::{ClauseStatus, ClauseVersion, get};
use crate::error::Error;
use crate::store::{Id, Sql, Store};

crate::text_enum! {
    /// What a stretch of text is in the newer version.
    DiffOp { Equal = "equal", Insert = "insert", Delete = "delete" }
}

/// A stretch of text that is kept, added or removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Segment {
    pub op: DiffOp,
    pub text: String,
}

/// The version a diff compares against.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Base {
    pub id: Id,
    pub number: i64,
    pub variant: String,
    pub status: ClauseStatus,
}

/// A rule that changed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RuleChange {
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VersionDiff {
    pub version_id: Id,
    /// What it is compared with; `null` when nothing came before it, and
    /// all of its text is new.
    pub against: Option<Base>,
    /// Present when the variant's rule changed.
    pub rule: Option<RuleChange>,
    pub segments: Vec<Segment>,
    pub inserted_words: usize,
    pub deleted_words: usize,
    /// The whole text with removals as `[-…-]` and additions as `{+…+}`.
    pub marked: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// Another version of the same clause to compare with.
    pub against: Option<Id>,
}

/// Version `id` against `against`, or else against its variant's approved
/// version, or, for one that was approved itself, the one approved before.
pub async fn diff(store: &Store, id: Id, against: Option<Id>) -> Result<VersionDiff, Error> {
    let version = get(store, id).await?;
    let base = match against {
        Some(other) => {
            let base = get(store, other).await.map_err(|e| match e {
                Error::NotFound(m) => Error::invalid("against", m),
                e => e,
            })?;
            if base.clause_id != version.clause_id {
                return Err(Error::invalid(
                    "against",
                    format!(
                        "version {other} is of `{}`, not `{}`",
                        base.clause_key, version.clause_key
                    ),
                ));
            }
            Some(base)
        }
        None => default_base(store, &version).await?,
    };
    Ok(compare(&version, base.as_ref()))
}

/// The variant's approved version, if it is another; else the newest
/// earlier one that was ever approved.
pub async fn default_base(
    store: &Store,
    version: &ClauseVersion,
) -> Result<Option<ClauseVersion>, Error> {
    let mut sql = Sql::new("SELECT * FROM clause_versions WHERE clause_id = ");
    sql.bind(version.clause_id)
        .push(" AND variant = ")
        .bind(version.variant.as_str())
        .push(" AND id <> ")
        .bind(version.meta.id)
        .push(" AND (status = ")
        .bind(ClauseStatus::Approved)
        .push(" OR (status = ")
        .bind(ClauseStatus::Retired)
        .push(" AND number < ")
        .bind(version.number)
        .push(")) ORDER BY CASE WHEN status = ")
        .bind(ClauseStatus::Approved)
        .push(" THEN 0 ELSE 1 END, number DESC LIMIT 1");
    Ok(store.fetch_optional::<ClauseVersion>(&sql).await?)
}

/// `version` against `base` (nothing, when `None`).
pub fn compare(version: &ClauseVersion, base: Option<&ClauseVersion>) -> VersionDiff {
    let before = base.map_or("", |b| b.body.as_str());
    let segments = words(before, &version.body);
    let count = |op: DiffOp| {
        segments
            .iter()
            .filter(|s| s.op == op)
            .map(|s| s.text.split_whitespace().count())
            .sum()
    };
    let rule_before = base.and_then(|b| b.rule.clone());
    VersionDiff {
        version_id: version.meta.id,
        against: base.map(|b| Base {
            id: b.meta.id,
            number: b.number,
            variant: b.variant.clone(),
            status: b.status,
        }),
        rule: (base.is_some() && rule_before != version.rule).then(|| RuleChange {
            before: rule_before,
            after: version.rule.clone(),
        }),
        inserted_words: count(DiffOp::Insert),
        deleted_words: count(DiffOp::Delete),
        marked: marked(&segments),
        segments,
    }
}

/// The word-level diff of `before` and `after`, neighbouring pieces of the
/// same kind joined.
pub fn words(before: &str, after: &str) -> Vec<Segment> {
    joined(similar::utils::diff_words(
        Algorithm::Patience,
        before,
        after,
    ))
}

/// The line-level diff of `before` and `after` (each piece ends with its
/// line break), neighbouring pieces of the same kind joined: what changed
/// in a source, where words would scatter.
pub fn lines(before: &str, after: &str) -> Vec<Segment> {
    joined(similar::utils::diff_lines(
        Algorithm::Patience,
        before,
        after,
    ))
}

fn joined(changes: Vec<(ChangeTag, &str)>) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    for (tag, text) in changes {
        let op = match tag {
            ChangeTag::Equal => DiffOp::Equal,
            ChangeTag::Insert => DiffOp::Insert,
            ChangeTag::Delete => DiffOp::Delete,
        };
        match segments.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => segments.push(Segment {
                op,
                text: text.to_owned(),
            }),
        }
    }
    segments
}

/// The text with its changes marked as `wdiff` does.
fn marked(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| match s.op {
            DiffOp::Equal => s.text.clone(),
            DiffOp::Insert => format!("{{+{}+}}", s.text),
            DiffOp::Delete => format!("[-{}-]", s.text),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(segments: &[Segment]) -> Vec<(DiffOp, &str)> {
        segments.iter().map(|s| (s.op, s.text.as_str())).collect()
    }

    #[test]
    fn a_changed_word_is_one_removal_and_one_addition() {
        let s = words(
            "Liability is capped at 12 months of fees.",
            "Liability is capped at 24 months of fees.",
        );
        assert_eq!(
            ops(&s),
            vec![
                (DiffOp::Equal, "Liability is capped at "),
                (DiffOp::Delete, "12"),
                (DiffOp::Insert, "24"),
                (DiffOp::Equal, " months of fees."),
            ]
        );
        assert_eq!(
            marked(&s),
            "Liability is capped at [-12-]{+24+} months of fees."
        );
    }

    #[test]
    fn added_words_are_counted_as_words() {
        let s = words("Fees are due.", "Fees are due within 30 days.");
        let inserted: usize = s
            .iter()
            .filter(|s| s.op == DiffOp::Insert)
            .map(|s| s.text.split_whitespace().count())
            .sum();
        // `due.` became `due`: a word of its own.
        assert_eq!(inserted, 4);
        assert_eq!(marked(&s), "Fees are [-due.-]{+due within 30 days.+}");
    }

    #[test]
    fn the_same_text_is_one_equal_stretch() {
        assert_eq!(
            ops(&words("Same text.", "Same text.")),
            vec![(DiffOp::Equal, "Same text.")]
        );
    }

    #[test]
    fn a_changed_line_is_removed_and_added_whole() {
        let s = lines(
            "# Offer\nFor {{ a }}.\nThanks.\n",
            "# Offer\nFor {{ b }}.\nThanks.\n",
        );
        assert_eq!(
            ops(&s),
            vec![
                (DiffOp::Equal, "# Offer\n"),
                (DiffOp::Delete, "For {{ a }}.\n"),
                (DiffOp::Insert, "For {{ b }}.\n"),
                (DiffOp::Equal, "Thanks.\n"),
            ]
        );
    }

    #[test]
    fn against_nothing_everything_is_new() {
        assert_eq!(
            ops(&words("", "All new.")),
            vec![(DiffOp::Insert, "All new.")]
        );
    }
}
