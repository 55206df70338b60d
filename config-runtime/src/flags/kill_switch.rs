//! The kill switch: local verdicts on flags that beat every source, for when the flag server
//! is unreachable or wrong. Read from `FLAG_OVERRIDES` (`new-checkout=off,search=on`) or the
//! file `FLAG_OVERRIDES_FILE` names (one `name=on|off` a line, `#` comments).

use std::path::Path;

use super::FlagsError;

/// What the kill switch forces a flag to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forced {
    /// On for every context (its variants are still picked by weight).
    On,
    /// Off for every context; its variant is `disabled`.
    Off,
}

/// Flags forced on or off locally, whatever any source says.
///
/// ```
/// use config_runtime::flags::{Context, Flags, Forced, KillSwitch};
///
/// let doc = Flags::from_json(r#"{"features": [{"name": "checkout", "enabled": true}]}"#).unwrap();
/// let switch = KillSwitch::parse("checkout=off\nbeta = on").unwrap();
/// let flags = doc.with_kill_switch(switch);
/// assert!(!flags.is_enabled("checkout", &Context::new()));
/// assert!(flags.is_enabled("beta", &Context::new()), "forced on even when no source has it");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KillSwitch {
    forced: Vec<(Box<str>, Forced)>,
}

impl KillSwitch {
    /// The variable holding `name=on|off` pairs, separated by commas.
    pub const VAR: &'static str = "FLAG_OVERRIDES";
    /// The variable naming a file of `name=on|off` lines.
    pub const FILE_VAR: &'static str = "FLAG_OVERRIDES_FILE";

    /// No flag forced.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forces one flag; forcing it again replaces the verdict.
    pub fn force(mut self, name: impl Into<Box<str>>, forced: Forced) -> Self {
        let name = name.into();
        self.forced.retain(|(n, _)| *n != name);
        self.forced.push((name, forced));
        self
    }

    /// The switch the process environment sets: the file first, then the variable (which
    /// wins for a flag both name). Empty when neither is set.
    pub fn from_env() -> Result<Self, FlagsError> {
        let mut switch = match std::env::var_os(Self::FILE_VAR) {
            Some(path) => Self::from_file(Path::new(&path))?,
            None => Self::new(),
        };
        if let Ok(text) = std::env::var(Self::VAR) {
            for (name, forced) in Self::parse(&text)?.forced {
                switch = switch.force(name, forced);
            }
        }
        Ok(switch)
    }

    /// Reads a file of `name=on|off` lines.
    pub fn from_file(path: &Path) -> Result<Self, FlagsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FlagsError::new(format!("kill switch {}: {e}", path.display())))?;
        Self::parse(&text)
    }

    /// Reads `name=on|off` pairs separated by commas or lines; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, FlagsError> {
        let mut switch = Self::new();
        for entry in text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default())
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let (name, verdict) = entry.split_once('=').ok_or_else(|| {
                FlagsError::new(format!(
                    "kill switch: `{entry}` is not `name=on` or `name=off`"
                ))
            })?;
            let forced = match verdict.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => Forced::On,
                "off" | "false" | "0" => Forced::Off,
                other => {
                    return Err(FlagsError::new(format!(
                        "kill switch: flag {}: `{other}` is neither on nor off",
                        name.trim()
                    )));
                }
            };
            switch = switch.force(name.trim(), forced);
        }
        Ok(switch)
    }

    /// The verdict on a flag, if the switch names it.
    pub fn get(&self, name: &str) -> Option<Forced> {
        self.forced
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|&(_, forced)| forced)
    }

    /// Whether no flag is forced.
    pub fn is_empty(&self) -> bool {
        self.forced.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_read_from_commas_lines_and_comments() {
        let switch = KillSwitch::parse("a=on, b=OFF # the outage\n\nc = true").unwrap();
        assert_eq!(switch.get("a"), Some(Forced::On));
        assert_eq!(switch.get("b"), Some(Forced::Off));
        assert_eq!(switch.get("c"), Some(Forced::On));
        assert_eq!(switch.get("d"), None);
    }

    #[test]
    fn a_bad_entry_is_an_error_naming_it() {
        let err = KillSwitch::parse("a=maybe").unwrap_err();
        assert!(
            err.to_string().contains("`maybe` is neither on nor off"),
            "{err}"
        );
        assert!(KillSwitch::parse("a").is_err());
    }
}
