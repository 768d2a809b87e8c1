//! The `frontdesk` command: serve the product, run the demo, and manage an installation.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use frontdesk_desk::accounts::TokenKeys;
use frontdesk_desk::host::{Also, Opening};
use frontdesk_desk::{Config, Secret, admin as manage};
use frontdesk_engine::Profile;
use frontdesk_store::Db;
use frontdesk_store::accounts::Role;

/// AI front office for small businesses: answers calls and messages from the business's own
/// data, books, reserves, takes orders, and keeps it all in a CRM.
#[derive(Parser)]
#[command(name = "frontdesk", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// TOML settings file (see frontdesk.example.toml).
    #[arg(long, global = true, env = "FRONTDESK_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for the embedded database (created on first run).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of the embedded SQLite.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Log format: text or json.
    #[arg(long, global = true)]
    log_format: Option<String>,
    /// Log filter, such as info or frontdesk_web=debug.
    #[arg(long, global = true)]
    log_level: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    #[cfg(feature = "server")]
    Serve(ServeArgs),
    /// Run the server with three demo businesses and a demo operator login.
    #[cfg(feature = "server")]
    Demo(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Copy the SQLite database to a new file, consistently, while servers keep running.
    Backup {
        /// The file to write (it must not exist yet).
        file: PathBuf,
    },
    /// Replace the SQLite database's contents with a backup (stop the servers first).
    Restore {
        /// A file written by `frontdesk backup`.
        file: PathBuf,
    },
    /// Create or update businesses from profile files (by slug).
    Import {
        /// Profile files in the spec's YAML format.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a business's profile as YAML.
    Export {
        slug: String,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Manage operator admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Create access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Talk to a business's agent in the terminal (reads turns from standard input when piped).
    Chat {
        /// Slug of the business (the demo businesses are loaded if missing).
        slug: String,
        /// Channel to act as: cli, voice, sms, whatsapp, web or api.
        #[arg(long, default_value = "cli")]
        channel: String,
        /// The caller's phone number (E.164), as caller id would give it.
        #[arg(long)]
        caller: Option<String>,
        /// Print the intent, confidence and actions of every turn.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Run the held-apart evaluation conversations and print the agent's scores.
    Eval {
        /// A directory of evaluation files instead of the built-in set.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Print every conversation, not only failures.
        #[arg(long, short)]
        verbose: bool,
        /// Instead of conversations: off-topic utterances, one per line, each tried as the
        /// first turn with every demo business and every profile in --dir; prints the share
        /// wrongly taken as a request (a task started, an action, a fact stated).
        #[arg(long)]
        offtopic: Option<PathBuf>,
        /// With --offtopic: in-scope controls (`kind<TAB>utterance` per line, kind one of
        /// plumber, salon, dental, taqueria, storage, pizza); prints the share turned away.
        #[arg(long)]
        inscope: Option<PathBuf>,
        /// Instead of written conversations: N conversations between generated businesses and
        /// simulated callers with goals, each checked in the store; prints the share of goals
        /// met, wrong facts and double bookings (with -v, the transcript of every failure).
        #[arg(long, value_name = "N")]
        simulate: Option<usize>,
        /// The simulator's seed: the same seed gives the same businesses and callers.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// With --simulate: another bank of callers' words and businesses in the shape of
        /// eval/simulate/bank.yaml (such as eval/simulate/holdout.yaml).
        #[arg(long, value_name = "FILE", requires = "simulate")]
        bank: Option<PathBuf>,
    },
    /// Check the settings and print them (secrets redacted).
    Config,
}

#[cfg(feature = "server")]
#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on (default from settings: 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
    /// Also load the demo businesses (same as the demo command).
    #[arg(long)]
    demo: bool,
    /// With the demo: load the demo businesses' profiles again, replacing the changes made to
    /// them (their customers and records are kept). Without it, a demo business that exists
    /// keeps its profile as its owner left it.
    #[arg(long)]
    reset: bool,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an operator admin (or reset an existing operator's password).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print an access token for a user, usable as `Authorization: Bearer <token>`.
    Create {
        #[arg(long)]
        email: String,
        /// Lifetime in minutes (default: the configured access-token lifetime).
        #[arg(long)]
        minutes: Option<u32>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print a new API key: operator-wide, or for one business with a role.
    Create {
        #[arg(long)]
        name: String,
        /// Slug of the business the key is for; omit for an operator key.
        #[arg(long)]
        business: Option<String>,
        /// Role for a business key: owner, manager, agent or viewer.
        #[arg(long, default_value = "viewer", requires = "business")]
        role: String,
    },
}

/// mimalloc instead of glibc's allocator: measured in BENCHMARKS.md (serving is allocation-heavy
/// and glibc's arenas contend across threads).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEMO_CUSTOMERS: [(&str, &str, &str); 3] = [
    ("Maria Lopez", "+15125557700", "maria.lopez@example.com"),
    ("James Carter", "+15125557710", "jcarter@example.com"),
    ("Priya Shah", "+15125557720", "priya.shah@example.com"),
];
#[cfg(feature = "server")]
const DEMO_OPERATOR: &str = "demo@frontdesk.local";

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let cfg = match load_config(&cli.global) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("frontdesk: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("frontdesk: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, cfg)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("frontdesk: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn load_config(g: &Global) -> Result<Config, String> {
    let mut cfg = Config::load(g.config.as_deref(), |k| std::env::var(k).ok())?;
    if let Some(d) = &g.data_dir {
        cfg.data_dir = d.clone();
    }
    if let Some(u) = &g.database_url {
        cfg.database.url = Secret::new(u.clone());
    }
    if let Some(f) = &g.log_format {
        cfg.log.format = f.parse()?;
    }
    if let Some(l) = &g.log_level {
        cfg.log.level = l.clone();
    }
    cfg.check()?;
    Ok(cfg)
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log.format == frontdesk_desk::config::LogFormat::Json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    let url = cfg.database_url();
    let db = Db::connect(&url).await.with_context(|| {
        format!(
            "opening the {} database",
            if url.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        )
    })?;
    Ok(db)
}

async fn run(cmd: Command, cfg: Config) -> anyhow::Result<()> {
    match cmd {
        #[cfg(feature = "server")]
        Command::Serve(a) => {
            let demo = a.demo;
            serve(cfg, a, demo).await
        }
        #[cfg(feature = "server")]
        Command::Demo(a) => serve(cfg, a, true).await,
        Command::Migrate => {
            let db = Db::open(&cfg.database_url()).await?;
            let applied = db.migrate().await?;
            if applied.is_empty() {
                println!("database is up to date");
            } else {
                println!("applied: {}", applied.join(", "));
            }
            Ok(())
        }
        Command::Backup { file } => {
            let db = open_db(&cfg).await?;
            db.backup_to(&file).await?;
            println!("backed up to {}", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let db = Db::open(&cfg.database_url()).await?;
            db.restore_from(&file).await?;
            let applied = db.migrate().await?;
            println!(
                "restored from {}{}",
                file.display(),
                if applied.is_empty() {
                    String::new()
                } else {
                    format!(" (then applied: {})", applied.join(", "))
                }
            );
            Ok(())
        }
        Command::Import { files } => {
            let db = open_db(&cfg).await?;
            // Parse every file first, so one bad file changes nothing.
            let mut profiles = Vec::new();
            for f in &files {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))?;
                let p = Profile::from_yaml(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                profiles.push(p);
            }
            for p in &profiles {
                let i = manage::import_profile(&db, p).await?;
                let b = &i.business;
                println!(
                    "{} {} ({})",
                    if i.created { "created" } else { "updated" },
                    b.slug,
                    b.id
                );
                for (unit, n) in &i.available_set {
                    println!("  {unit}: {n} free (set by the file's available)");
                }
            }
            Ok(())
        }
        Command::Export { slug, output } => {
            let db = open_db(&cfg).await?;
            let yaml = manage::export_profile(&db, &slug).await?;
            match output {
                Some(path) => std::fs::write(&path, yaml)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{yaml}"),
            }
            Ok(())
        }
        Command::Admin(AdminCommand::Create {
            email,
            name,
            password_stdin,
        }) => {
            let password = read_password(password_stdin)?;
            let db = open_db(&cfg).await?;
            let (u, created) =
                manage::create_operator(&db, &email, name.as_deref(), &password).await?;
            println!(
                "{} operator {} ({})",
                if created {
                    "created"
                } else {
                    "updated password of"
                },
                u.email,
                u.id
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create { email, minutes }) => {
            let db = open_db(&cfg).await?;
            let keys = TokenKeys::for_installation(&db, &cfg).await?;
            println!(
                "{}",
                manage::issue_token(&db, &keys, &email, minutes.map(|m| i64::from(m) * 60)).await?
            );
            Ok(())
        }
        Command::Key(KeyCommand::Create {
            name,
            business,
            role,
        }) => {
            let db = open_db(&cfg).await?;
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let secret =
                manage::create_key(&db, &name, business.as_deref().map(|b| (b, role))).await?;
            println!("{secret}");
            Ok(())
        }
        Command::Config => {
            println!("{cfg:#?}");
            Ok(())
        }
        Command::Chat {
            slug,
            channel,
            caller,
            verbose,
        } => {
            let db = open_db(&cfg).await?;
            let llm = frontdesk_desk::providers::llm::Llm::from_config(&cfg.llm)
                .map_err(anyhow::Error::msg)?;
            chat(&db, llm, &slug, &channel, caller.as_deref(), verbose).await
        }
        Command::Eval {
            simulate: Some(n),
            seed,
            verbose,
            bank,
            ..
        } => {
            let text = match &bank {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                None => frontdesk_desk::eval::simulate::BANK.to_owned(),
            };
            let report = frontdesk_desk::eval::simulate::run_with(&text, n, seed, false, |t| {
                if verbose {
                    println!("{t}");
                }
            })
            .await?;
            for f in report
                .failures
                .iter()
                .take(if verbose { usize::MAX } else { 40 })
            {
                println!("FAIL {f}");
            }
            println!("{report}");
            if !report.passes() {
                anyhow::bail!(
                    "the agent is below the bar: at least 98% of goals met, no wrong facts, no double bookings, no off-topic caller acted on"
                );
            }
            Ok(())
        }
        Command::Eval {
            dir,
            verbose,
            offtopic: Some(file),
            inscope,
            ..
        } => {
            let mut profiles = frontdesk_desk::admin::demo_profiles()?;
            if let Some(d) = &dir {
                profiles.extend(frontdesk_desk::eval::profiles_in(d)?);
            }
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let lines = frontdesk_desk::eval::offtopic::read_lines(&text);
            let report = frontdesk_desk::eval::offtopic::run(&profiles, &lines, chrono::Utc::now());
            if verbose {
                for e in &report.examples {
                    println!("ACCEPTED {e}");
                }
            }
            println!("{report}");
            if let Some(f) = inscope {
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                let lines = frontdesk_desk::eval::offtopic::read_lines(&text);
                let (turns, rejected) = frontdesk_desk::eval::offtopic::run_inscope(
                    &profiles,
                    &lines,
                    chrono::Utc::now(),
                );
                if verbose {
                    for r in &rejected {
                        println!("TURNED AWAY {r}");
                    }
                }
                println!(
                    "in-scope turned away: {:.1}% ({} of {turns})",
                    100.0 * rejected.len() as f64 / turns.max(1) as f64,
                    rejected.len()
                );
            }
            Ok(())
        }
        Command::Eval {
            dir,
            verbose,
            offtopic: None,
            simulate: None,
            ..
        } => {
            let suite = match dir {
                Some(d) => frontdesk_desk::eval::Suite::from_dir(&d)?,
                None => frontdesk_desk::eval::Suite::builtin()?,
            };
            let llm = frontdesk_desk::providers::llm::Llm::from_config(&cfg.llm)
                .map_err(anyhow::Error::msg)?;
            match &llm {
                Some(l) => println!(
                    "LLM mode: {} (the built-in engine takes over on failure)",
                    l.model
                ),
                None => println!("built-in engine"),
            }
            let report = frontdesk_desk::eval::run(&suite, llm, |line| {
                if verbose {
                    println!("{line}");
                }
            })
            .await?;
            for f in &report.failures {
                println!("FAIL {f}");
            }
            println!("{report}");
            if !report.passes() {
                anyhow::bail!(
                    "the agent is below the bar: task completion must be at least 95% with no wrong facts"
                );
            }
            Ok(())
        }
    }
}

/// An interactive (or piped) conversation with one business's agent, through the same host as
/// every channel, so what it commits lands in the store.
async fn chat(
    db: &Db,
    llm: Option<frontdesk_desk::providers::llm::Llm>,
    slug: &str,
    channel: &str,
    caller: Option<&str>,
    verbose: bool,
) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let channel = frontdesk_engine::agent::Channel::parse(channel).ok_or_else(|| {
        anyhow::anyhow!("unknown channel {channel:?}: use cli, voice, sms, whatsapp, web or api")
    })?;
    let caller = caller
        .map(|c| {
            frontdesk_engine::PhoneE164::parse(c).map_err(|e| anyhow::anyhow!("--caller: {e}"))
        })
        .transpose()?;
    let mut conn = db.clone();
    let business = match frontdesk_store::businesses::get_by_slug(&mut conn, slug).await {
        Ok(b) => b,
        Err(frontdesk_store::StoreError::NotFound)
            if manage::demo_profiles()?
                .iter()
                .any(|p| p.slug.as_str() == slug) =>
        {
            manage::load_demo(db, &manage::demo_profiles()?, &DEMO_CUSTOMERS, false).await?;
            eprintln!("(loaded the demo businesses)");
            frontdesk_store::businesses::get_by_slug(&mut conn, slug).await?
        }
        Err(frontdesk_store::StoreError::NotFound) => {
            anyhow::bail!("no business with slug {slug:?}")
        }
        Err(e) => return Err(e.into()),
    };
    let host = frontdesk_desk::host::Host::new().with_llm(llm);
    let profile = db.tenant(&business.id).profile().await?;
    let agent_name = profile
        .persona
        .as_ref()
        .and_then(|p| p.agent_name.clone())
        .unwrap_or_else(|| "Agent".into());
    let (conv, greeting) = host
        .open(
            db,
            &business.id,
            Opening::new(channel, caller.as_ref()),
            chrono::Utc::now(),
        )
        .await?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Chatting with {} ({}); conversation {}. Ctrl-D to end.",
            business.name, slug, conv.id
        );
    }
    println!("{agent_name}: {greeting}");
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            print!("you: ");
            std::io::stdout().flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if !interactive {
            println!("you: {}", line.trim());
        }
        let r = match host
            .turn(
                db,
                &business.id,
                &conv.id,
                &line,
                Also::default(),
                chrono::Utc::now(),
            )
            .await
        {
            Ok(r) => r,
            Err(frontdesk_desk::host::TurnError::Invalid(m)) => {
                eprintln!("({m})");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        println!("{agent_name}: {}", r.reply);
        if verbose {
            println!("  [intent {} {:.2}]", r.intent, r.confidence);
            if let Some(m) = &r.model {
                println!("  [model {m}]");
            }
            if let Some(f) = &r.fallback {
                println!("  [built-in engine: {f}]");
            }
        }
        for a in &r.actions {
            let v = serde_json::to_value(a)?;
            let kind = v.get("type").and_then(|t| t.as_str()).unwrap_or("action");
            if kind != "update_contact" || verbose {
                println!("  [{kind}] {}", v);
            }
        }
        if r.ended {
            println!("  [conversation {}]", r.status.as_str().replace('_', " "));
            break;
        }
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s.lines().next().unwrap_or("").to_owned());
    }
    let p = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Again: ")?;
    anyhow::ensure!(p == again, "the passwords differ");
    Ok(p)
}

#[cfg(feature = "server")]
async fn serve(cfg: Config, args: ServeArgs, demo: bool) -> anyhow::Result<()> {
    use frontdesk_jobs::{Runner, RunnerConfig};
    use std::time::Duration;
    use tokio::sync::watch;

    let mut cfg = cfg;
    if let Some(l) = args.listen {
        cfg.server.listen = l;
    }
    let db = open_db(&cfg).await?;
    tracing::info!(engine = db.engine(), "database ready");
    let demo_login = if demo {
        Some(load_demo(&db, args.reset).await?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(&cfg.server.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.server.listen))?;
    let addr = listener.local_addr()?;
    // The demo's links (self-service pages in confirmations) point at this server unless a
    // public address is configured.
    if demo && cfg.public_url.is_empty() {
        cfg.public_url = format!("http://{addr}");
    }
    let st = frontdesk_web::AppState::new(db.clone(), cfg.clone()).await?;
    let (stop_tx, stop_rx) = watch::channel(false);

    let runner = if cfg.jobs.enabled {
        let mut r = Runner::new(
            db.clone(),
            RunnerConfig {
                lease: Duration::from_secs(cfg.jobs.lease_secs.max(3)),
                poll_interval: Duration::from_millis(cfg.jobs.poll_interval_ms.max(10)),
                shutdown_grace: Duration::from_secs(cfg.jobs.shutdown_grace_secs),
                ..RunnerConfig::default()
            },
        )
        .with_waker(st.desk.wake.clone())
        // No other live process can listen on this host and address: after a crash, the
        // restarted one is the only holder of its jobs and takes them back at once.
        .with_identity(&format!("{}/{addr}", host_name()));
        frontdesk_desk::jobs::register(&mut r, &st.desk).map_err(|e| anyhow::anyhow!(e))?;
        Some(tokio::spawn(r.run(stop_rx.clone())))
    } else {
        None
    };

    println!(
        "frontdesk {} listening on http://{addr}",
        env!("CARGO_PKG_VERSION")
    );
    println!("  dashboard: http://{addr}/");
    println!("  API docs: http://{addr}/api/docs");
    if let Some(DemoLogin {
        operator: (email, password),
        businesses,
    }) = &demo_login
    {
        println!("  demo operator login: {email} / {password}");
        for (slug, owner, owner_password, key, books) in businesses {
            println!("  {slug}: owner login {owner} / {owner_password}");
            println!("    web chat: http://{addr}/widget/try/{key}");
            if *books {
                println!("    booking page: http://{addr}/book/{slug}");
            }
        }
        println!(
            "  try: curl -s -X POST http://{addr}/api/v1/auth/login -H 'content-type: application/json' \\"
        );
        println!("         -d '{{\"email\":\"{email}\",\"password\":\"{password}\"}}'");
    }
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests and jobs");
        let _ = stop_tx.send(true);
    });
    let mut stop = stop_rx;
    frontdesk_web::serve(listener, frontdesk_web::router(st), async move {
        let _ = stop.wait_for(|s| *s).await;
    })
    .await?;
    if let Some(r) = runner {
        let _ = r.await;
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
#[cfg(feature = "server")]
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// The demo's logins and widgets.
#[cfg(feature = "server")]
struct DemoLogin {
    /// The operator's e-mail and password.
    operator: (String, String),
    /// Each demo business: slug, owner e-mail, owner password, web chat widget key, and
    /// whether it takes appointments (so has a booking page).
    businesses: Vec<(String, String, String, String, bool)>,
}

/// A fresh demo password: readable, long enough for the password rules.
#[cfg(feature = "server")]
fn demo_password() -> String {
    frontdesk_desk::accounts::random_secret("demo-")
        .chars()
        .take(17)
        .collect()
}

#[cfg(feature = "server")]
async fn load_demo(db: &Db, reset: bool) -> anyhow::Result<DemoLogin> {
    let businesses =
        manage::load_demo(db, &manage::demo_profiles()?, &DEMO_CUSTOMERS, reset).await?;
    let mut out = Vec::new();
    for b in &businesses {
        tracing::info!(slug = b.slug, id = %b.id, "demo business ready");
        let fresh = frontdesk_desk::accounts::random_secret("pk_");
        let key =
            frontdesk_store::businesses::widget_key(&mut db.clone(), &b.id, &fresh, false).await?;
        let owner = format!("owner@{}.demo", b.slug);
        let password = demo_password();
        manage::demo_owner(db, &b.id, &owner, &password).await?;
        let books = !db.tenant(&b.id).profile().await?.services.is_empty();
        out.push((b.slug.clone(), owner, password, key, books));
    }
    let password = demo_password();
    manage::create_operator(db, DEMO_OPERATOR, Some("Demo operator"), &password).await?;
    Ok(DemoLogin {
        operator: (DEMO_OPERATOR.to_owned(), password),
        businesses: out,
    })
}

/// This machine's name, for the job runner's identity.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
