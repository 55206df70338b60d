//! Who is asking: the fields Unleash's strategies and constraints read.

/// The facts about one request that flags are evaluated against. Build it once per request;
/// evaluating flags against it allocates nothing.
///
/// ```
/// use config_runtime::flags::Context;
///
/// let ctx = Context::new().user_id("42").remote_address("10.0.0.7").property("region", "eu-west");
/// assert_eq!(ctx.field("region"), Some("eu-west"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub(crate) user_id: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) remote_address: Option<String>,
    pub(crate) environment: Option<String>,
    pub(crate) app_name: Option<String>,
    pub(crate) current_time: Option<String>,
    pub(crate) properties: Vec<(String, String)>,
}

impl Context {
    /// An empty context: only strategies that need no facts (`default`) can match.
    pub fn new() -> Self {
        Self::default()
    }

    /// The user's id (`userWithId`, `gradualRolloutUserId`, stickiness `default`/`userId`).
    pub fn user_id(mut self, value: impl Into<String>) -> Self {
        self.user_id = Some(value.into());
        self
    }

    /// The session's id (`gradualRolloutSessionId`, stickiness fallback).
    pub fn session_id(mut self, value: impl Into<String>) -> Self {
        self.session_id = Some(value.into());
        self
    }

    /// The caller's IP address (`remoteAddress`, `IN_CIDR`).
    pub fn remote_address(mut self, value: impl Into<String>) -> Self {
        self.remote_address = Some(value.into());
        self
    }

    /// The environment the application runs in (constraints on `environment`).
    pub fn environment(mut self, value: impl Into<String>) -> Self {
        self.environment = Some(value.into());
        self
    }

    /// The application's name (constraints on `appName`).
    pub fn app_name(mut self, value: impl Into<String>) -> Self {
        self.app_name = Some(value.into());
        self
    }

    /// The time date constraints compare with, RFC 3339 (`2024-01-31T12:00:00Z`); the clock
    /// when unset.
    pub fn current_time(mut self, value: impl Into<String>) -> Self {
        self.current_time = Some(value.into());
        self
    }

    /// A custom field (constraints, custom stickiness); setting a name again replaces it.
    pub fn property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let value = value.into();
        match self.properties.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.properties.push((name, value)),
        }
        self
    }

    /// The value of a field by its Unleash name: a standard field (`userId`, `sessionId`,
    /// `remoteAddress`, `environment`, `appName`, `currentTime`) or a property.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.get(&ContextField::parse(name))
    }

    pub(crate) fn get(&self, field: &ContextField) -> Option<&str> {
        match field {
            ContextField::UserId => self.user_id.as_deref(),
            ContextField::SessionId => self.session_id.as_deref(),
            ContextField::RemoteAddress => self.remote_address.as_deref(),
            ContextField::Environment => self.environment.as_deref(),
            ContextField::AppName => self.app_name.as_deref(),
            ContextField::CurrentTime => self.current_time.as_deref(),
            ContextField::Property(name) => self
                .properties
                .iter()
                .find(|(n, _)| n.as_str() == &**name)
                .map(|(_, v)| v.as_str()),
        }
    }
}

/// A context field named by a constraint, an override or a stickiness, resolved once when
/// the document is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContextField {
    UserId,
    SessionId,
    RemoteAddress,
    Environment,
    AppName,
    CurrentTime,
    Property(Box<str>),
}

impl ContextField {
    pub(crate) fn parse(name: &str) -> Self {
        match name {
            "userId" => ContextField::UserId,
            "sessionId" => ContextField::SessionId,
            "remoteAddress" => ContextField::RemoteAddress,
            "environment" => ContextField::Environment,
            "appName" => ContextField::AppName,
            "currentTime" => ContextField::CurrentTime,
            other => ContextField::Property(other.into()),
        }
    }
}
