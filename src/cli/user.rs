//! `user add`: a dashboard user, with the password read from standard
//! input so that it never sits in the shell's history or the process list.

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context};

use crate::config::Config;
use crate::dashboard::auth::hash_password;
use crate::store::Store;

/// The shortest password accepted.
const MIN_PASSWORD: usize = 10;

/// Adds (or updates) a user who may see `businesses`.
///
/// # Errors
///
/// An unknown role or business, a short password, or a store failure.
pub fn add(
    config: &Config,
    data: &Path,
    database_url: Option<&str>,
    email: &str,
    businesses: &[String],
    role: &str,
) -> anyhow::Result<i32> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        bail!("{email:?} is not an email address");
    }
    if !matches!(role, "owner" | "agency") {
        bail!("unknown role {role:?}; expected owner or agency");
    }
    if businesses.is_empty() {
        bail!("name at least one business with --business NUMBER");
    }
    if role == "owner" && businesses.len() > 1 {
        bail!("an owner has one business; give several to an agency user (--role agency)");
    }
    for b in businesses {
        if config.business(b).is_none() {
            bail!("no business has the number {b}");
        }
    }

    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < MIN_PASSWORD {
        bail!("the password must have at least {MIN_PASSWORD} characters");
    }
    let hash = hash_password(password).map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let id = runtime.block_on(async {
        let store = match database_url {
            Some(url) => Store::open(url).await,
            None => Store::open_data_dir(data).await,
        }
        .context("opening the store")?;
        let now = jiff::Timestamp::now().as_millisecond();
        store
            .put_user(&email, &hash, role, businesses, now)
            .await
            .context("storing the user")
    })?;
    println!("user {id} may see {}", businesses.join(", "));
    Ok(0)
}
