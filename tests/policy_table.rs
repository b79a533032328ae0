//! The README's table of who may do what is the policy module's table.

use dealdraft::auth::Role;
use dealdraft::auth::policy::{Action, grant};

#[test]
fn the_readme_roles_table_is_the_policy() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable");
    let table = readme
        .split("<!-- roles-table: start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- roles-table: end -->").next())
        .expect("the README marks its roles table");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    let header: Vec<&str> = std::iter::once("action")
        .chain(Role::ALL.iter().map(|r| r.as_str()))
        .collect();
    assert_eq!(rows[0], header, "the columns are the roles in order");
    let expected: Vec<Vec<&str>> = Action::ALL
        .iter()
        .map(|&action| {
            std::iter::once(action.describe())
                .chain(Role::ALL.iter().map(|&role| grant(role, action).describe()))
                .collect()
        })
        .collect();
    for (row, want) in rows[1..].iter().zip(&expected) {
        assert_eq!(row, want, "README row differs from the policy");
    }
    assert_eq!(rows.len() - 1, expected.len(), "one README row per action");
}
