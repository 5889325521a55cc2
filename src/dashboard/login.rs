//! Logging in and out. The login form carries a CSRF token that matches
//! a short-lived cookie (there is no session yet to hold it); failed
//! attempts are counted per email and per address before the password
//! is even checked.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::auth::{self, ClientIp, Session, LOGIN_COOKIE, SESSION_COOKIE};
use super::{layout, Error};
use crate::server::App;

fn form(csrf: &str, email: &str, problem: Option<&str>) -> maud::Markup {
    layout::bare(
        "Log in",
        html! {
            section.card style="max-width:420px;margin:2rem auto" {
                h1 { "Log in" }
                @if let Some(p) = problem { p.error role="alert" { (p) } }
                form.stack method="post" action="/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="email" { "Email" }
                    input #email type="email" name="email" value=(email) autocomplete="username" required;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button #login type="submit" { "Log in" }
                }
            }
        },
    )
}

fn with_login_cookie(app: &App, status: StatusCode, page: maud::Markup, token: &str) -> Response {
    let cookie = auth::set_cookie(LOGIN_COOKIE, token, "/login", 3600, auth::secure(app));
    (
        status,
        [
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        page,
    )
        .into_response()
}

pub async fn page(State(app): State<App>) -> Response {
    let token = auth::new_token();
    with_login_cookie(&app, StatusCode::OK, form(&token, "", None), &token)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, Error> {
    let expected = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !auth::csrf_ok(expected, &f.csrf) {
        return Err(Error::Csrf);
    }
    let email = f.email.trim().to_lowercase();
    let now = app.clock.millis();
    let ip_key = ip.clone().unwrap_or_default();
    let (by_email, by_ip) = app
        .store
        .failed_logins(&email, &ip_key, now - auth::LOGIN_WINDOW_MS)
        .await?;
    if !auth::may_try(by_email, ip.as_ref().map(|_| by_ip)) {
        return Err(Error::TooManyAttempts);
    }

    let user = app.store.user(&email).await?.filter(|u| u.email == email);
    let ok = match &user {
        Some(u) => auth::verify_password(&f.password, &u.password_hash),
        None => {
            // Spend the same time as a real check, so that timing does not
            // tell which emails have accounts.
            let _ = auth::verify_password(&f.password, &DUMMY_HASH);
            false
        }
    };
    app.store.login_attempt(&email, &ip_key, ok, now).await?;
    let Some(user) = user.filter(|_| ok) else {
        tracing::warn!(target: "security", "dashboard login failed");
        let token = auth::new_token();
        return Ok(with_login_cookie(
            &app,
            StatusCode::UNAUTHORIZED,
            form(
                &token,
                &email,
                Some("That email and password do not match."),
            ),
            &token,
        ));
    };

    let token = auth::new_token();
    app.store
        .put_session(
            &auth::token_hash(&token),
            &user.id,
            &auth::new_token(),
            now,
            now + auth::SESSION_MS,
        )
        .await?;
    tracing::info!(user_id = %user.id, "dashboard login");
    let cookie = auth::set_cookie(
        SESSION_COOKIE,
        &token,
        "/",
        auth::SESSION_MS / 1000,
        auth::secure(&app),
    );
    let clear = auth::set_cookie(LOGIN_COOKIE, "", "/login", 0, auth::secure(&app));
    let mut response = Redirect::to("/contacts").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| Error::BadRequest("cookie".into()))?,
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        clear
            .parse()
            .map_err(|_| Error::BadRequest("cookie".into()))?,
    );
    Ok(response)
}

/// An argon2 hash of a random password, checked when the email is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| auth::hash_password(&auth::new_token()).unwrap_or_default());

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(app): State<App>,
    session: Session,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Error> {
    session.check_csrf(&f.csrf)?;
    app.store.delete_session(&session.token_hash).await?;
    let clear = auth::set_cookie(SESSION_COOKIE, "", "/", 0, auth::secure(&app));
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}
