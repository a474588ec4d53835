//! The variables tierform wires into a service from its databases, caches, secrets, buckets,
//! queues and topics, and the application's own names for them (`service.env_names`). Every
//! emitter names a wired variable with [`Service::env_name`], so a rename reads the same on ECS
//! Fargate, App Runner, EKS and docker-compose; validation refuses a rename of a variable this environment does not
//! wire, and any two variables that would end up with one name.
//!
//! Two forms are wired only on request, by naming them in `env_names`: a database's URL
//! (`<NAME>_DB_URL`, `postgresql://user@host:5432/db`) and its ADO.NET connection string
//! (`<NAME>_DB_CONNECTION_STRING`, `Host=host;Port=5432;Database=db;Username=user`). Neither
//! holds a password: the password stays a secret reference (`<NAME>_DB_PASSWORD`, which an app
//! may rename to what its driver reads, such as `PGPASSWORD`), or there is none with IAM
//! authentication. A URL with the password inside would put a secret in a plain variable.

use crate::spec::{env_var_name, App, Database, Engine, Service};

/// The on-request database forms: suffix after `<NAME>_DB_`.
pub const DB_URL: &str = "URL";
/// See [`DB_URL`].
pub const DB_CONNECTION_STRING: &str = "CONNECTION_STRING";

/// tierform's names of the variables wired into `service` in one environment: for each
/// database `HOST`, `PORT`, `NAME`, `USER`, then `AUTH` (IAM authentication, cloud tiers) or
/// `PASSWORD`; for each cache `URL` (and, in cloud tiers, `NAME`, `USER`, `AUTH`); each secret
/// by its name; each bucket, queue and topic (`<NAME>_BUCKET`, `_QUEUE_URL`, `_TOPIC_ARN`); each
/// service it calls (`<NAME>_SERVICE_URL`). The on-request forms are in [`on_request`].
pub fn wired_names(app: &App, service: &Service, local: bool) -> Vec<String> {
    let mut out = Vec::new();
    for d in &service.databases {
        let Some(db) = app.databases.get(d) else {
            continue;
        };
        let pre = env_var_name(d);
        let auth = if db.iam_auth && !local {
            "AUTH"
        } else {
            "PASSWORD"
        };
        out.extend(["HOST", "PORT", "NAME", "USER", auth].map(|x| format!("{pre}_DB_{x}")));
    }
    for c in &service.caches {
        let pre = env_var_name(c);
        out.push(format!("{pre}_CACHE_URL"));
        if !local {
            out.extend(["NAME", "USER", "AUTH"].map(|x| format!("{pre}_CACHE_{x}")));
        }
    }
    out.extend(service.secrets.iter().map(|s| env_var_name(s)));
    // The address of each service it calls, on every platform.
    out.extend(service_urls(app, service).into_iter().map(|(var, _)| var));
    // Buckets, queues and topics, in the cloud and in a local tier's stand-in alike.
    out.extend(
        crate::storage::storage_variables(app, &service.buckets, &service.queues, &service.topics)
            .into_iter()
            .map(|(_, _, var)| var),
    );
    out
}

/// The variable holding the address of a service another calls: `<NAME>_SERVICE_URL`
/// (`http://<name>:<port>` through ECS Service Connect, a Kubernetes Service or a compose
/// service; App Runner's HTTPS endpoint).
pub fn service_url_var(callee: &str) -> String {
    format!("{}_SERVICE_URL", env_var_name(callee))
}

/// The address a caller reaches a service at inside the environment, where the platform names
/// it after the service (ECS Service Connect, Kubernetes, compose): `http://<name>:<port>`.
pub fn service_url(callee: &str, port: u16) -> String {
    format!("http://{callee}:{port}")
}

/// `<CALLEE>_SERVICE_URL` and `http://<callee>:<port>` of each declared service `service`
/// calls, where the platform names the callee after the service (ECS Service Connect,
/// Kubernetes, compose).
pub fn service_urls(app: &App, service: &Service) -> Vec<(String, String)> {
    service
        .calls
        .iter()
        .filter_map(|callee| {
            let target = app.services.get(callee)?;
            Some((service_url_var(callee), service_url(callee, target.port)))
        })
        .collect()
}

/// The forms wired only when `env_names` names them: each database's URL and connection string.
pub fn on_request(service: &Service) -> Vec<String> {
    service
        .databases
        .iter()
        .flat_map(|d| {
            let pre = env_var_name(d);
            [DB_URL, DB_CONNECTION_STRING].map(|f| format!("{pre}_DB_{f}"))
        })
        .collect()
}

impl Service {
    /// The name a wired variable has in this service: the application's own, when
    /// `env_names` gives one, else tierform's.
    pub fn env_name(&self, wired: &str) -> String {
        self.env_names
            .get(wired)
            .cloned()
            .unwrap_or_else(|| wired.to_owned())
    }

    /// Whether `env_names` asks for the on-request form `<DB>_DB_<form>` of database `db`.
    pub fn wants_db_form(&self, db: &str, form: &str) -> bool {
        self.env_names
            .contains_key(&format!("{}_DB_{form}", env_var_name(db)))
    }
}

/// The text around the host of a database's on-request form (`form` is [`DB_URL`] or
/// [`DB_CONNECTION_STRING`]): emitters put the host between them, as a Terraform reference, a
/// Kubernetes `$(VAR)` or a compose service name. `user` is the user the environment's
/// services log in as; `db_name` the database on the instance.
pub fn db_form(db: &Database, form: &str, user: &str, db_name: &str) -> (String, String) {
    let port = db.engine.port();
    if form == DB_URL {
        let scheme = match db.engine {
            Engine::Postgres => "postgresql",
            Engine::Mysql => "mysql",
        };
        (format!("{scheme}://{user}@"), format!(":{port}/{db_name}"))
    } else {
        (
            "Host=".to_owned(),
            format!(";Port={port};Database={db_name};Username={user}"),
        )
    }
}
