//! `machi serve`: the web application on an embedded SQLite file (created
//! and migrated on first start) or on PostgreSQL; and `machi admin
//! create-user` for the first account outside demo mode.

use std::io::{BufRead as _, IsTerminal as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use machi_i18n::Lang;
use machi_store::{NewOrganisation, NewUser, OrgKind, Role, Store, VariantArray as _};
use machi_web::{AppConfig, AppState, auth, demo};

/// Arguments of `machi serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The SQLite database file (created and migrated if missing).
    #[arg(long, default_value = "machi.db")]
    database: PathBuf,
    /// Run on PostgreSQL instead (postgres://user:pass@host/db); several
    /// `machi serve` processes may share one database.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Load demo organisations, users for every role and the example
    /// projects (from ./examples, else those built in).
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure (when served behind HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// Language of the messages printed here: ja or en.
    #[arg(long, default_value = "ja")]
    lang: Lang,
}

/// Arguments of `machi admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a user (and their organisation if new). The password is read
    /// from standard input, or prompted for without echo on a terminal.
    CreateUser(CreateUserArgs),
}

/// Arguments of `machi admin create-user`.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// E-mail (the log-in name).
    #[arg(long)]
    email: String,
    /// Name shown to others.
    #[arg(long)]
    name: String,
    /// Organisation name (Japanese); created if no organisation has it.
    #[arg(long)]
    org_name: String,
    /// Kind of a new organisation: municipality, company, university,
    /// association, secretariat, investor.
    #[arg(long, default_value = "association")]
    org_kind: String,
    /// Role: municipal-officer, provider, secretariat, reviewer, investor, admin.
    #[arg(long)]
    role: String,
    /// The user's language: ja or en.
    #[arg(long = "user-lang", default_value = "ja")]
    user_lang: Lang,
    /// The SQLite database file.
    #[arg(long, default_value = "machi.db")]
    database: PathBuf,
    /// PostgreSQL instead of SQLite.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Language of the messages printed here: ja or en.
    #[arg(long, default_value = "ja")]
    lang: Lang,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")
}

/// Opens the store; returns it, where it is, and whether a new SQLite file
/// was created.
async fn open_store(
    database: &Path,
    url: Option<&str>,
) -> anyhow::Result<(Arc<dyn Store>, String, bool)> {
    if let Some(url) = url {
        let store = machi_store::postgres::PostgresStore::connect(url).await?;
        // Never print the password of the URL.
        let shown = match url.split_once('@') {
            Some((_, host)) => format!("postgres://…@{host} (PostgreSQL)"),
            None => format!("{url} (PostgreSQL)"),
        };
        return Ok((Arc::new(store), shown, false));
    }
    let created = !database.exists();
    let path = database.to_string_lossy().into_owned();
    let store = machi_store::sqlite::SqliteStore::open(&path).await?;
    Ok((Arc::new(store), format!("{path} (SQLite)"), created))
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info,sqlx=warn`); see
/// docs/ARCHITECTURE.md, "Logs".
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// The example project files: `./examples/*.toml` if the folder exists,
/// else the copies built into the binary (and a message saying so).
fn example_files(lang: Lang) -> Vec<(String, String)> {
    let dir = Path::new("examples");
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        println!(
            "  {}",
            lang.tf("web.serve.demo-examples-dir", &[("path", &dir.display())])
        );
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "json"))
            .collect();
        paths.sort();
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match std::fs::read_to_string(&p) {
                Ok(text) => files.push((name, text)),
                Err(e) => println!(
                    "  {}",
                    lang.tf("web.serve.demo-skipped", &[("file", &name), ("reason", &e)])
                ),
            }
        }
        return files;
    }
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    println!(
        "  {}",
        lang.tf(
            "web.serve.demo-examples-missing",
            &[
                ("path", &dir.display()),
                ("cwd", &cwd),
                ("count", &demo::EMBEDDED_EXAMPLES.len())
            ]
        )
    );
    demo::EMBEDDED_EXAMPLES
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let lang = args.lang;
    let (store, location, created) = open_store(&args.database, args.database_url.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!(lang.tf("web.serve.open-failed", &[("reason", &e)])))?;
    println!(
        "machi — {}",
        lang.tf("web.serve.database", &[("location", &location)])
    );
    if created {
        println!(
            "  {}",
            lang.tf("web.serve.created", &[("path", &args.database.display())])
        );
    }
    let config = AppConfig {
        secure_cookies: args.secure_cookies,
        ..AppConfig::default()
    };
    let state = AppState::new(store, config).map_err(|e| anyhow::anyhow!(e.message(lang)))?;
    if args.demo {
        println!("\n■ {}", lang.t("web.serve.demo-title"));
        let files = example_files(lang);
        let report = demo::load(&state, &files)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if report.already_loaded {
            println!("  {}", lang.t("web.serve.demo-already"));
        } else {
            println!(
                "  {}",
                lang.tf(
                    "web.serve.demo-loaded",
                    &[("count", &report.projects.len())]
                )
            );
        }
        for (file, reason) in &report.skipped {
            println!(
                "  {}",
                lang.tf(
                    "web.serve.demo-skipped",
                    &[("file", file), ("reason", reason)]
                )
            );
        }
        println!(
            "  {}",
            lang.tf(
                "web.serve.demo-accounts",
                &[("password", &demo::DEMO_PASSWORD)]
            )
        );
        for a in &report.accounts {
            let role = lang.t(&format!("web.role.{}", a.role.as_str()));
            println!(
                "    {}  {}  {}",
                machi_report::pad_right(a.email, 32),
                machi_report::pad_right(role, 20),
                a.organisation
            );
        }
        println!("  ⚠ {}", lang.t("web.serve.demo-warning"));
        println!();
    } else if state.store().users().await?.is_empty() {
        println!("  {}", lang.t("web.serve.no-users"));
    }
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| {
            anyhow::anyhow!(lang.tf(
                "web.serve.bind-failed",
                &[("addr", &args.bind), ("reason", &e)]
            ))
        })?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("{}", lang.tf("web.serve.listening", &[("url", &url)]));
    machi_web::serve(listener, state, machi_web::shutdown_signal()).await?;
    println!("{}", lang.t("web.serve.stopped"));
    Ok(())
}

/// Runs `machi serve`.
pub fn run(args: &ServeArgs) -> ExitCode {
    init_logging();
    let result = runtime().and_then(|rt| rt.block_on(serve(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the new password: prompted twice without echo on a terminal, else
/// one line of standard input.
fn read_password(lang: Lang) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password(lang.t("web.serve.password-prompt"))?;
        let b = rpassword::prompt_password(lang.t("web.serve.password-again"))?;
        if a != b {
            anyhow::bail!("{}", lang.t("web.serve.password-mismatch"));
        }
        a
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if auth::check_new_password(&password).is_err() {
        anyhow::bail!("{}", lang.t("web.serve.password-short"));
    }
    Ok(password)
}

async fn create_user(args: &CreateUserArgs) -> anyhow::Result<()> {
    let lang = args.lang;
    let role = Role::parse(&args.role).ok_or_else(|| {
        let expected = Role::VARIANTS
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        anyhow::anyhow!(lang.tf(
            "web.serve.unknown-role",
            &[("value", &args.role), ("expected", &expected)]
        ))
    })?;
    let kind = OrgKind::parse(&args.org_kind).ok_or_else(|| {
        let expected = OrgKind::VARIANTS
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        anyhow::anyhow!(lang.tf(
            "web.serve.unknown-org-kind",
            &[("value", &args.org_kind), ("expected", &expected)]
        ))
    })?;
    let password = read_password(lang)?;
    let (store, location, _) = open_store(&args.database, args.database_url.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!(lang.tf("web.serve.open-failed", &[("reason", &e)])))?;
    eprintln!(
        "{}",
        lang.tf("web.serve.database", &[("location", &location)])
    );
    let org = match store
        .organisations()
        .await?
        .into_iter()
        .find(|o| o.name_ja == args.org_name)
    {
        Some(o) => o,
        None => {
            store
                .create_organisation(
                    None,
                    NewOrganisation {
                        name_ja: args.org_name.clone(),
                        name_en: String::new(),
                        kind,
                        local_gov_code: None,
                    },
                )
                .await?
        }
    };
    let cost = auth::PasswordCost::default();
    let hash = auth::hash_password(cost, password)
        .await
        .map_err(|e| anyhow::anyhow!(e.message(lang)))?;
    let user = store
        .create_user(
            None,
            NewUser {
                organisation: org.id,
                email: args.email.trim().to_lowercase(),
                display_name: args.name.clone(),
                role,
                lang: args.user_lang.code().into(),
                password_hash: hash,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!(machi_web::AppError::from(e).message(lang)))?;
    println!(
        "{}",
        lang.tf(
            "web.serve.user-created",
            &[
                ("email", &user.email),
                ("role", &lang.t(&format!("web.role.{}", role.as_str())))
            ]
        )
    );
    Ok(())
}

/// Runs `machi admin …`.
pub fn run_admin(args: &AdminArgs) -> ExitCode {
    match &args.command {
        AdminCommand::CreateUser(a) => {
            let result = runtime().and_then(|rt| rt.block_on(create_user(a)));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!(
                        "{}",
                        a.lang
                            .tf("web.serve.failed", &[("reason", &format!("{e:#}"))])
                    );
                    ExitCode::FAILURE
                }
            }
        }
    }
}
