//! Local stand-ins for the outside services, each speaking its service's documented wire
//! format, shared by every test that needs one.

pub mod deepgram;
pub mod llm;
pub mod smtp;
pub mod speech;
pub mod twilio;
