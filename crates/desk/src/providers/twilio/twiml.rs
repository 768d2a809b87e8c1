//! TwiML documents, written as Twilio's reference defines them: a `<Response>` of verbs whose
//! attributes and text are XML-escaped here, once.

use std::fmt::Write;

/// A TwiML `<Response>` being written.
pub struct Twiml(String);

/// Escapes text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// How a `<Say>` sounds: the voice (e.g. `Polly.Joanna`; Twilio's default when `None`) and the
/// language.
#[derive(Debug, Clone, Default)]
pub struct Voice {
    pub voice: Option<String>,
    pub language: String,
}

impl Default for Twiml {
    fn default() -> Self {
        Self::new()
    }
}

impl Twiml {
    pub fn new() -> Self {
        Self(String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>",
        ))
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = write!(self.0, "<{name}");
        for (k, v) in attrs {
            let _ = write!(self.0, " {k}=\"{}\"", escape(v));
        }
    }

    /// An element with attributes and optional text.
    pub fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
        self.open(name, attrs);
        match text {
            Some(t) => {
                let _ = write!(self.0, ">{}</{name}>", escape(t));
            }
            None => self.0.push_str("/>"),
        }
    }

    /// An element with nested verbs.
    pub fn nest(&mut self, name: &str, attrs: &[(&str, &str)], inner: impl FnOnce(&mut Self)) {
        self.open(name, attrs);
        self.0.push('>');
        inner(self);
        let _ = write!(self.0, "</{name}>");
    }

    pub fn say(&mut self, text: &str, v: &Voice) {
        let mut attrs = Vec::with_capacity(2);
        if let Some(voice) = &v.voice {
            attrs.push(("voice", voice.as_str()));
        }
        if !v.language.is_empty() {
            attrs.push(("language", v.language.as_str()));
        }
        self.element("Say", &attrs, Some(text));
    }

    pub fn hangup(&mut self) {
        self.element("Hangup", &[], None);
    }

    /// A text reply to an inbound message.
    pub fn message(&mut self, text: &str) {
        self.element("Message", &[], Some(text));
    }

    pub fn finish(mut self) -> String {
        self.0.push_str("</Response>");
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut t = Twiml::new();
        t.nest("Gather", &[("action", "/g?a=1&b=\"2\"")], |t| {
            t.say(
                "Tom & Jerry's <special>",
                &Voice {
                    voice: Some("Polly.Joanna".into()),
                    language: "en-US".into(),
                },
            );
        });
        t.hangup();
        assert_eq!(
            t.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather action=\"/g?a=1&amp;b=&quot;2&quot;\"><Say voice=\"Polly.Joanna\" language=\"en-US\">Tom &amp; Jerry&apos;s &lt;special&gt;</Say></Gather><Hangup/></Response>"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(escape("a\u{1}b\nc"), "ab\nc");
    }
}
