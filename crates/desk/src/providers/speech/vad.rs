//! Voice activity detection on the phone line's 20 ms frames: the level of each frame against a
//! noise floor that follows the line, so a quiet line and a noisy one (a truck, a fan) both
//! work. Speech starts after a run of loud frames and ends after a run of quiet ones; a click or
//! a single pop starts nothing.

/// Loud frames in a row that start speech (80 ms).
const START_FRAMES: u32 = 4;
/// How far above the noise floor a frame must be to count as voice, in dB.
const ABOVE_FLOOR_DB: f32 = 12.0;
/// Quieter than this is never voice, however quiet the line (dBFS).
const MIN_VOICE_DB: f32 = -50.0;
/// The floor's range: a line is never quieter or louder than this.
const FLOOR_RANGE: (f32, f32) = (-80.0, -25.0);
/// The floor is the quietest frame of the last one to two seconds (blocks of this many frames):
/// speech has quiet gaps between syllables, so the floor follows the line, not the voice.
const FLOOR_BLOCK: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// The caller began to speak (after [`START_FRAMES`] loud frames).
    Started,
    /// The caller has been quiet for the end-of-turn silence.
    Ended,
}

#[derive(Debug, Clone)]
pub struct Vad {
    floor_db: f32,
    /// The quietest frame of the last whole block, and of the block so far.
    last_block_min: f32,
    block_min: f32,
    block_len: u32,
    voiced_run: u32,
    silent_run: u32,
    in_speech: bool,
    /// Frames since speech started.
    speech_frames: u32,
    /// Loud frames since speech started.
    voiced_frames: u32,
    end_frames: u32,
}

/// A frame's level in dBFS (−100 for digital silence).
pub fn level_db(pcm: &[i16]) -> f32 {
    if pcm.is_empty() {
        return -100.0;
    }
    let sum: f64 = pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (sum / pcm.len() as f64).sqrt();
    if rms < 1.0 {
        return -100.0;
    }
    (20.0 * (rms / 32768.0).log10()) as f32
}

impl Vad {
    /// A detector whose speech ends after `end_ms` of quiet (at 20 ms frames).
    pub fn new(end_ms: u64) -> Self {
        Self {
            floor_db: -60.0,
            last_block_min: -60.0,
            block_min: f32::INFINITY,
            block_len: 0,
            voiced_run: 0,
            silent_run: 0,
            in_speech: false,
            speech_frames: 0,
            voiced_frames: 0,
            end_frames: u32::try_from(end_ms / 20).unwrap_or(u32::MAX).max(1),
        }
    }

    /// Reads one frame; says when speech starts or ends.
    pub fn push(&mut self, pcm: &[i16]) -> Option<VadEvent> {
        let db = level_db(pcm);
        let voiced = db > (self.floor_db + ABOVE_FLOOR_DB).max(MIN_VOICE_DB);
        self.block_min = self.block_min.min(db);
        self.block_len += 1;
        if self.block_len == FLOOR_BLOCK {
            self.last_block_min = self.block_min;
            self.block_min = f32::INFINITY;
            self.block_len = 0;
        }
        self.floor_db = self
            .last_block_min
            .min(self.block_min)
            .clamp(FLOOR_RANGE.0, FLOOR_RANGE.1);
        if voiced {
            self.voiced_run += 1;
            self.silent_run = 0;
        } else {
            self.voiced_run = 0;
            self.silent_run += 1;
        }
        if self.in_speech {
            self.speech_frames += 1;
            if voiced {
                self.voiced_frames += 1;
            }
            if self.silent_run >= self.end_frames {
                self.in_speech = false;
                return Some(VadEvent::Ended);
            }
            None
        } else if self.voiced_run >= START_FRAMES {
            self.in_speech = true;
            self.speech_frames = self.voiced_run;
            self.voiced_frames = self.voiced_run;
            Some(VadEvent::Started)
        } else {
            None
        }
    }

    /// The caller is speaking (or paused for less than the end-of-turn silence).
    pub fn speaking(&self) -> bool {
        self.in_speech
    }

    /// The last frame was voice.
    pub fn voiced(&self) -> bool {
        self.voiced_run > 0
    }

    /// Milliseconds of voice since speech started: a cough or an "mhm" is short.
    pub fn voiced_ms(&self) -> u32 {
        if self.in_speech {
            self.voiced_frames * 20
        } else {
            0
        }
    }

    /// The noise floor in dBFS.
    pub fn floor_db(&self) -> f32 {
        self.floor_db
    }
}

/// Words a listener says to show they are following, not to take the turn: "mhm", "okay",
/// "uh-huh", "yeah", "right", "I see", "got it". Nothing recognised at all (a cough, a breath)
/// counts too. Said over the agent, they do not interrupt it.
pub fn is_backchannel(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "mhm", "mm", "mmm", "hmm", "hm", "mmhmm", "uh", "huh", "uhhuh", "um", "ah", "aha", "oh",
        "okay", "ok", "yeah", "yep", "yes", "right", "sure", "alright", "gotcha", "i", "see",
        "got", "it", "cool", "great",
    ];
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.len() <= 3 && words.iter().all(|w| WORDS.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(amplitude: f64, frames: usize) -> Vec<Vec<i16>> {
        (0..frames)
            .map(|f| {
                (0..160)
                    .map(|i| {
                        let t = (f * 160 + i) as f64 / 8000.0;
                        (amplitude * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
                    })
                    .collect()
            })
            .collect()
    }

    fn run(v: &mut Vad, frames: &[Vec<i16>]) -> Vec<(usize, VadEvent)> {
        frames
            .iter()
            .enumerate()
            .filter_map(|(i, f)| v.push(f).map(|e| (i, e)))
            .collect()
    }

    #[test]
    fn speech_starts_after_80_ms_and_ends_after_the_silence() {
        let mut v = Vad::new(700);
        let mut frames = tone(30.0, 50);
        frames.extend(tone(8000.0, 50));
        frames.extend(tone(30.0, 60));
        let ev = run(&mut v, &frames);
        assert_eq!(ev, vec![(53, VadEvent::Started), (134, VadEvent::Ended)]);
        assert!(!v.speaking());
    }

    #[test]
    fn a_click_starts_nothing_and_a_pause_inside_speech_ends_nothing() {
        let mut v = Vad::new(700);
        let mut frames = tone(30.0, 50);
        frames.extend(tone(8000.0, 2));
        frames.extend(tone(30.0, 10));
        assert!(run(&mut v, &frames).is_empty());
        let mut frames = tone(8000.0, 20);
        frames.extend(tone(30.0, 20)); // a 400 ms pause
        frames.extend(tone(8000.0, 20));
        let ev = run(&mut v, &frames);
        assert_eq!(ev, vec![(3, VadEvent::Started)]);
        assert!(v.speaking());
        assert_eq!(v.voiced_ms(), 40 * 20);
    }

    #[test]
    fn a_noisy_line_is_learned_and_voice_above_it_is_heard() {
        let mut v = Vad::new(500);
        // A steady hum at about -36 dBFS for two seconds: learned as the floor.
        let hum = tone(700.0, 100);
        assert!(run(&mut v, &hum).len() <= 2, "a hum is not a caller");
        assert!(v.floor_db() > -45.0, "floor {}", v.floor_db());
        assert!(!v.speaking());
        let ev = run(&mut v, &tone(9000.0, 10));
        assert_eq!(ev, vec![(3, VadEvent::Started)]);
    }

    #[test]
    fn backchannels_are_known_and_requests_are_not() {
        for b in [
            "mhm",
            "Mm-hmm.",
            "okay",
            "Uh-huh",
            "yeah, right",
            "I see",
            "got it",
            "",
        ] {
            assert!(is_backchannel(b), "{b:?}");
        }
        for r in [
            "wait",
            "no, Thursday",
            "actually I need a plumber",
            "yes I want to cancel",
            "okay okay okay okay",
        ] {
            assert!(!is_backchannel(r), "{r:?}");
        }
    }
}
