//! Server-rendered pages for the engine's [`View`]s: plain HTML forms that work without
//! JavaScript, every dynamic string escaped, one inline stylesheet allowed by its hash,
//! and a strict Content-Security-Policy per page.

use std::fmt::Write as _;

use casplus::cas::web::{AutoPost, LoginError, LoginForm, View, WarnPage, fields};

/// Where the CAS endpoints are served.
pub const PREFIX: &str = "/cas";

/// The one stylesheet, inlined in every page.
pub const CSS: &str = include_str!("page.css");

/// The script of the `method=POST` page: submit the form.
pub const AUTOPOST_SCRIPT: &str = include_str!("autopost.js");

// `CSS_HASH` and `AUTOPOST_HASH`: the `'sha256-…'` CSP sources of the two inline texts,
// computed by build.rs from the same files (no hashing in the Worker).
include!(concat!(env!("OUT_DIR"), "/csp_hashes.rs"));

/// HTML-escapes `s` for text and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub use crate::requrl::origin;

/// A rendered page: status, body and its Content-Security-Policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The HTML document.
    pub body: String,
    /// The `Content-Security-Policy` header value.
    pub csp: String,
}

/// The CSP of a page: nothing but the inline stylesheet (and the script whose CSP hash
/// is `script_hash`), forms only to `form_action`, never framed.
pub fn csp(form_action: &[String], script_hash: Option<&str>) -> String {
    let mut s = format!("default-src 'none'; style-src {CSS_HASH}");
    if let Some(hash) = script_hash {
        let _ = write!(s, "; script-src {hash}");
    }
    s.push_str("; form-action");
    if form_action.is_empty() {
        s.push_str(" 'none'");
    }
    for a in form_action {
        s.push(' ');
        s.push_str(a);
    }
    s.push_str("; frame-ancestors 'none'; base-uri 'none'");
    s
}

fn document(title: &str, main: &str, script: Option<&str>) -> String {
    let mut s = String::with_capacity(CSS.len() + main.len() + 512);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"same-origin\">\
         <title>{} · CAS</title><style>{CSS}</style></head><body><main>{main}</main>",
        escape(title)
    );
    if let Some(script) = script {
        let _ = write!(s, "<script>{script}</script>");
    }
    s.push_str("</body></html>");
    s
}

fn hidden(out: &mut String, name: &str, value: &str) {
    let _ = write!(
        out,
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    );
}

fn login_error_text(e: &LoginError) -> String {
    match e {
        LoginError::InvalidCredentials => "The user name or password is incorrect.".into(),
        LoginError::MissingCredentials => "Enter both your user name and your password.".into(),
        LoginError::FormExpired => {
            "This sign-in form has expired or was already used. Please sign in again.".into()
        }
        LoginError::Throttled {
            retry_after_seconds,
        } => format!(
            "Too many failed attempts. Try again in {retry_after_seconds} second{}.",
            if *retry_after_seconds == 1 { "" } else { "s" }
        ),
        LoginError::SourceUnavailable => {
            "The authentication service is unavailable. Please try again later.".into()
        }
        LoginError::NotThisBrowser => "This sign-in request did not come from a form opened \
             in this browser on this site, so it was not processed. If you meant to sign in, \
             enter your user name and password again below."
            .into(),
        _ => "Sign-in failed. Please try again.".into(),
    }
}

/// Form targets of a page that POSTs to `/login` and may then be redirected to
/// `service` (browsers apply `form-action` to the redirect after the POST too).
fn login_targets(service: Option<&str>) -> Vec<String> {
    let mut t = vec!["'self'".to_owned()];
    if let Some(o) = service.and_then(origin) {
        t.push(o);
    }
    t
}

fn login_form(f: &LoginForm) -> Page {
    let mut m = String::new();
    m.push_str("<h1>Sign in</h1>");
    match (&f.service_name, &f.service) {
        (Some(name), _) => {
            let _ = write!(
                m,
                "<p class=\"muted\">to continue to <strong>{}</strong></p>",
                escape(name)
            );
        }
        (None, Some(service)) => {
            let _ = write!(
                m,
                "<p class=\"muted\">to continue to <code>{}</code></p>",
                escape(service)
            );
        }
        (None, None) => m.push_str("<p class=\"muted\">Central Authentication Service</p>"),
    }
    let described = if let Some(e) = &f.error {
        // The authentication source's own words (e.g. a TACACS+ server_msg), escaped.
        let said = f
            .source_message
            .as_deref()
            .map(|msg| format!("<br><span class=\"source-msg\">{}</span>", escape(msg)))
            .unwrap_or_default();
        let _ = write!(
            m,
            "<p class=\"error\" role=\"alert\" id=\"login-error\">{}{said}</p>",
            escape(&login_error_text(e))
        );
        " aria-describedby=\"login-error\""
    } else {
        ""
    };
    let _ = write!(
        m,
        "<form method=\"post\" action=\"{PREFIX}/login\">\
         <label for=\"username\">User name</label>\
         <input id=\"username\" name=\"{}\" type=\"text\" autocomplete=\"username\" \
         autocapitalize=\"none\" spellcheck=\"false\" required autofocus value=\"{}\"{described}>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"{}\" type=\"password\" autocomplete=\"current-password\" required{described}>\
         <label class=\"check\"><input type=\"checkbox\" name=\"{}\" value=\"true\"> \
         Warn me before signing me in to other sites</label>",
        fields::USERNAME,
        escape(f.username.as_deref().unwrap_or("")),
        fields::PASSWORD,
        fields::WARN,
    );
    if f.remember_me {
        let _ = write!(
            m,
            "<label class=\"check\"><input type=\"checkbox\" name=\"{}\" value=\"true\"> \
             Remember me on this device</label>",
            fields::REMEMBER_ME
        );
    }
    hidden(&mut m, fields::LT, f.login_ticket.as_str());
    if let Some(s) = &f.service {
        hidden(&mut m, fields::SERVICE, s);
    }
    if let Some(me) = f.method {
        hidden(&mut m, fields::METHOD, me.as_str());
    }
    m.push_str("<button type=\"submit\">Sign in</button></form>");
    Page {
        body: document("Sign in", &m, None),
        csp: csp(&login_targets(f.service.as_deref()), None),
    }
}

fn warn_page(w: &WarnPage) -> Page {
    let mut m = String::new();
    let _ = write!(
        m,
        "<h1>Continue to {}?</h1>\
         <p>You are signed in as <strong>{}</strong>. You asked to be warned before being \
         signed in to another site.</p>\
         <p class=\"muted\">Site address: <code>{}</code></p>\
         <form method=\"post\" action=\"{PREFIX}/login\">",
        escape(&w.service_name),
        escape(&w.principal),
        escape(&w.service),
    );
    hidden(&mut m, fields::LT, w.login_ticket.as_str());
    hidden(&mut m, fields::SERVICE, &w.service);
    if let Some(me) = w.method {
        hidden(&mut m, fields::METHOD, me.as_str());
    }
    let _ = write!(
        m,
        "<button type=\"submit\">Continue</button></form>\
         <p class=\"muted\"><a href=\"{PREFIX}/logout\">Sign out instead</a></p>"
    );
    Page {
        body: document("Continue?", &m, None),
        csp: csp(&login_targets(Some(&w.service)), None),
    }
}

fn auto_post(a: &AutoPost) -> Page {
    let mut m = String::new();
    let _ = write!(
        m,
        "<h1>Signing you in…</h1>\
         <form method=\"post\" action=\"{}\" id=\"autopost\">",
        escape(&a.action)
    );
    for (n, v) in &a.fields {
        hidden(&mut m, n, v);
    }
    m.push_str(
        "<noscript><p>JavaScript is off: press Continue to go on.</p></noscript>\
         <button type=\"submit\">Continue</button></form>",
    );
    Page {
        body: document("Signing in", &m, Some(AUTOPOST_SCRIPT)),
        csp: csp(
            &origin(&a.action).into_iter().collect::<Vec<_>>(),
            Some(AUTOPOST_HASH),
        ),
    }
}

fn message(title: &str, paragraphs: &str) -> Page {
    Page {
        body: document(
            title,
            &format!("<h1>{}</h1>{paragraphs}", escape(title)),
            None,
        ),
        csp: csp(&[], None),
    }
}

/// The logout page of a session with front-channel services (§2.3.3, as Apereo CAS does
/// it): each service's logout URL in a hidden frame, loaded by the browser; the CSP lets
/// frames come from exactly those origins (a URL whose origin cannot be written in a CSP
/// is left out). With a registered `service`, a refresh goes there once the page — its
/// frames included — has loaded (HTML's declarative refresh waits for the load), no
/// script needed; else the page says the user is signed out.
fn front_channel_logout(urls: &[String], service: Option<&str>) -> Page {
    let mut origins: Vec<String> = Vec::new();
    let mut frames = String::new();
    for url in urls {
        let Some(o) = origin(url) else { continue };
        if !origins.contains(&o) {
            origins.push(o);
        }
        let _ = write!(
            frames,
            "<iframe hidden title=\"single logout\" src=\"{}\"></iframe>",
            escape(url)
        );
    }
    let next = match service {
        Some(s) => format!(
            "<p>You have signed out. <a href=\"{}\">Continue</a></p>",
            escape(s)
        ),
        None => format!(
            "<p>You have signed out of the Central Authentication Service and of the \
             sites you used.</p><p><a href=\"{PREFIX}/login\">Sign in again</a></p>"
        ),
    };
    let mut body = document(
        "Signed out",
        &format!("<h1>Signed out</h1>{next}{frames}"),
        None,
    );
    if let Some(s) = service {
        let refresh = format!(
            "<head><meta http-equiv=\"refresh\" content=\"0;url={}\">",
            escape(s)
        );
        body = body.replacen("<head>", &refresh, 1);
    }
    let mut policy = csp(&[], None);
    for (i, o) in origins.iter().enumerate() {
        policy.push_str(if i == 0 { "; frame-src " } else { " " });
        policy.push_str(o);
    }
    Page { body, csp: policy }
}

fn signed_in(title: &str, intro: &str, principal: &str) -> Page {
    message(
        title,
        &format!(
            "<p>{intro} <strong>{}</strong>.</p>\
             <p class=\"muted\">You can now use every site that signs in through this \
             service without entering your password again.</p>\
             <p><a href=\"{PREFIX}/logout\">Sign out</a></p>",
            escape(principal)
        ),
    )
}

/// Renders a [`View`].
pub fn render(view: &View) -> Page {
    match view {
        View::LoginForm(f) => login_form(f),
        View::Warn(w) => warn_page(w),
        View::AutoPost(a) => auto_post(a),
        View::SsoStarted { principal } => signed_in(
            "Signed in",
            "Single sign-on session started: you are signed in as",
            principal,
        ),
        View::AlreadyLoggedIn { principal } => signed_in(
            "Already signed in",
            "You are already signed in as",
            principal,
        ),
        View::LoggedOut => message(
            "Signed out",
            &format!(
                "<p>You have signed out of the Central Authentication Service.</p>\
                 <p class=\"muted\">Sites you used may keep their own sessions: close your \
                 browser to end them all.</p><p><a href=\"{PREFIX}/login\">Sign in again</a></p>"
            ),
        ),
        View::FrontChannelLogout { urls, service } => {
            front_channel_logout(urls, service.as_deref())
        }
        View::UnknownService { service } => message(
            "Application not authorized",
            &format!(
                "<p>The application you came from is not registered with this \
                 Central Authentication Service, so you cannot sign in to it here.</p>\
                 <p class=\"muted\">Address: <code>{}</code></p>",
                escape(service)
            ),
        ),
        View::BadRequest { reason } => message(
            "Bad request",
            &format!(
                "<p>This request cannot be processed: {}.</p>",
                escape(reason)
            ),
        ),
        View::InternalError => internal_error(),
        _ => message("Error", "<p>This page cannot be shown.</p>"),
    }
}

/// The page of a fault: nothing was issued.
pub fn internal_error() -> Page {
    message(
        "Something went wrong",
        "<p>The sign-in service had an internal error. Nothing was issued; please try \
         again in a moment.</p>",
    )
}

/// The page shown when the configuration does not load. It names no problem: those name
/// users, TACACS+ hosts and secrets, and go to the log only, under `request_id` (the id
/// the page shows, so an operator can find the line).
pub fn config_error(request_id: &str) -> Page {
    message(
        "Service not configured",
        &format!(
            "<p>This Central Authentication Service cannot serve requests: it is \
             misconfigured. Its operator can find the reason in the log.</p>\
             <p class=\"muted\">Request id: <code>{}</code></p>",
            escape(request_id)
        ),
    )
}

/// A plain message page (405, 404, 413).
pub fn simple(title: &str, text: &str) -> Page {
    message(title, &format!("<p>{}</p>", escape(text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use casplus::cas::ticket::{DeterministicEntropy, TicketId, TicketKind};
    use casplus::cas::web::ResponseMethod;

    fn lt() -> TicketId {
        TicketId::generate(TicketKind::Login, &mut DeterministicEntropy::new(1))
    }

    #[test]
    fn escape_covers_html_metacharacters() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    /// `'sha256-…'` of a string, for a CSP source list (CSP Level 3 §2.3.1 hash-source).
    fn csp_hash(s: &str) -> String {
        use base64::Engine as _;
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(s.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    #[test]
    fn csp_hashes_are_base64_sha256_of_the_inline_texts() {
        // sha256("") = e3b0c442…; base64 of it is well known.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        // What build.rs computed is the hash of what the pages inline.
        assert_eq!(CSS_HASH, csp_hash(CSS));
        assert_eq!(AUTOPOST_HASH, csp_hash(AUTOPOST_SCRIPT));
        let c = csp(&["'self'".into()], None);
        assert!(c.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(c.contains("form-action 'self'; frame-ancestors 'none'"));
        assert!(!c.contains("script-src"));
        assert!(csp(&[], None).contains("form-action 'none'"));
    }

    #[test]
    fn origin_of_service_urls() {
        assert_eq!(
            origin("http://127.0.0.1:9000/app?x=1").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(
            origin("https://app.example/").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin("not a url"), None);
    }

    #[test]
    fn login_form_has_labels_fields_and_escapes() {
        let f = LoginForm {
            service: Some("http://127.0.0.1:9/a?x=\"><script>".into()),
            service_name: Some("<b>App</b>".into()),
            method: Some(ResponseMethod::Post),
            login_ticket: lt(),
            error: Some(LoginError::InvalidCredentials),
            username: Some("<script>alert(1)</script>".into()),
            remember_me: true,
            source_message: Some("Locked <img src=x> call NOC".into()),
        };
        let p = render(&View::LoginForm(f.clone()));
        let b = &p.body;
        assert!(!b.contains("<script>"), "{b}");
        assert!(!b.contains("<b>App</b>"));
        assert!(b.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The source's message (a TACACS+ server_msg) is shown with the error, escaped.
        assert!(
            b.contains(
                "<br><span class=\"source-msg\">Locked &lt;img src=x&gt; call NOC</span></p>"
            ),
            "{b}"
        );
        for needle in [
            "<label for=\"username\">",
            "<label for=\"password\">",
            "name=\"username\"",
            "type=\"password\"",
            "name=\"warn\"",
            "name=\"rememberMe\"",
            "role=\"alert\"",
            "name=\"method\" value=\"POST\"",
        ] {
            assert!(b.contains(needle), "missing {needle}");
        }
        assert!(b.contains(&format!(
            "name=\"lt\" value=\"{}\"",
            f.login_ticket.as_str()
        )));
        assert!(p.csp.contains("form-action 'self' http://127.0.0.1:9;"));
        let no_rm = render(&View::LoginForm(LoginForm {
            remember_me: false,
            error: None,
            ..f
        }));
        assert!(!no_rm.body.contains("rememberMe"));
        assert!(!no_rm.body.contains("role=\"alert\""));
    }

    #[test]
    fn autopost_allows_only_its_script_and_target() {
        let p = render(&View::AutoPost(AutoPost {
            action: "https://app.example/cb".into(),
            fields: vec![("ticket", "ST-1".into())],
        }));
        assert!(
            p.body
                .contains(&format!("<script>{AUTOPOST_SCRIPT}</script>"))
        );
        assert!(
            p.csp
                .contains(&format!("script-src {}", csp_hash(AUTOPOST_SCRIPT)))
        );
        assert!(p.csp.contains("form-action https://app.example;"));
        assert!(p.body.contains("name=\"ticket\" value=\"ST-1\""));
        assert!(p.body.contains("<noscript>"));
    }

    #[test]
    fn the_config_error_page_shows_the_request_id_and_no_problem() {
        let p = config_error("8f1c2a3b4d5e6f70-AMS");
        assert!(p.body.contains("misconfigured"), "{}", p.body);
        assert!(p.body.contains("<code>8f1c2a3b4d5e6f70-AMS</code>"));
        assert!(!p.body.contains("CASPLUS_CONFIG"));
        assert_eq!(
            config_error("<script>")
                .body
                .matches("&lt;script&gt;")
                .count(),
            1
        );
    }

    #[test]
    fn front_channel_logout_frames_exactly_its_services_then_goes_on_2_3_3() {
        let urls = vec![
            "https://a.example/logout?SAMLRequest=eJx".to_owned(),
            "https://a.example/other?SAMLRequest=eJy".to_owned(),
            "http://127.0.0.1:9/app?SAMLRequest=eJz".to_owned(),
        ];
        let p = front_channel_logout(&urls, Some("https://next.example/"));
        assert_eq!(p.body.matches("<iframe hidden").count(), 3);
        assert!(
            p.body
                .contains("src=\"https://a.example/logout?SAMLRequest=eJx\"")
        );
        assert!(
            p.csp
                .ends_with("; frame-src https://a.example http://127.0.0.1:9"),
            "{}",
            p.csp
        );
        assert!(p.csp.contains("frame-ancestors 'none'"));
        assert!(
            p.body
                .contains("<meta http-equiv=\"refresh\" content=\"0;url=https://next.example/\">")
        );
        // Without a service: no refresh, the signed-out text.
        let p = front_channel_logout(&urls[..1], None);
        assert!(!p.body.contains("refresh"));
        assert!(p.body.contains("Sign in again"));
    }

    #[test]
    fn every_page_uses_the_hashed_stylesheet_only() {
        let pages = [
            render(&View::LoggedOut),
            render(&View::FrontChannelLogout {
                urls: vec!["https://app.example/a?SAMLRequest=eJw%2B".into()],
                service: Some("https://app.example/\"><x>".into()),
            }),
            render(&View::SsoStarted {
                principal: "a".into(),
            }),
            render(&View::UnknownService {
                service: "<x>".into(),
            }),
            internal_error(),
            config_error("<x>"),
        ];
        for p in pages {
            assert!(p.body.contains(&format!("<style>{CSS}</style>")));
            assert!(!p.body.contains("<script"));
            assert!(p.csp.contains(&csp_hash(CSS)));
            assert!(!p.body.contains("<x>"));
        }
    }
}
