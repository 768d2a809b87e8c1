//! Adapters to the services outside frontdesk, each behind a configurable base URL and tested
//! against a local server speaking the service's documented wire format: an OpenAI-compatible
//! LLM ([`llm`]), Twilio's REST API, TwiML and request signatures ([`twilio`]), SMTP
//! ([`mail`]), speech-to-text and text-to-speech ([`speech`]), and the phone line's audio
//! formats ([`audio`]). None knows the database or the engine.

pub mod audio;
pub mod breaker;
pub mod llm;
pub mod mail;
pub mod speech;
pub mod twilio;
