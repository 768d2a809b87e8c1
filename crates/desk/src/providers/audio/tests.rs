use super::*;

#[test]
fn mulaw_decodes_to_the_g711_table() {
    // The first two segments of G.711's μ-law expansion table, and its ends.
    let first: Vec<i16> = (0..16).map(|i| mulaw_decode(0xff - i)).collect();
    assert_eq!(first, (0..16).map(|i| i * 8).collect::<Vec<i16>>());
    let second: Vec<i16> = (0..16).map(|i| mulaw_decode(0xef - i)).collect();
    assert_eq!(second, (0..16).map(|i| 132 + i * 16).collect::<Vec<i16>>());
    assert_eq!(mulaw_decode(0x80), 32124);
    assert_eq!(mulaw_decode(0x00), -32124);
    assert_eq!(mulaw_decode(0x7f), 0);
    assert_eq!(mulaw_decode(0x7e), -8);
}

#[test]
fn mulaw_encoding_is_the_inverse_on_every_code() {
    for c in 0..=255u8 {
        let back = mulaw_encode(mulaw_decode(c));
        // 0x7f is "negative zero", which encodes as positive zero.
        let want = if c == 0x7f { 0xff } else { c };
        assert_eq!(back, want, "code {c:#04x}");
    }
    assert_eq!(mulaw_encode(0), 0xff);
    assert_eq!(mulaw_encode(i16::MAX), 0x80);
    assert_eq!(mulaw_encode(i16::MIN), 0x00);
}

#[test]
fn mulaw_error_is_within_one_step_of_its_segment() {
    for x in (-32635i32..=32635).step_by(7) {
        let x = x as i16;
        let y = mulaw_decode(mulaw_encode(x));
        let mag = i32::from(x).abs() + 0x84;
        let segment = (31 - (mag as u32).leading_zeros()).saturating_sub(7).min(7);
        let step = 1i32 << (segment + 3);
        assert!(
            (i32::from(x) - i32::from(y)).abs() <= step,
            "{x} came back as {y} (step {step})"
        );
    }
}

#[test]
fn pcm_bytes_are_little_endian() {
    assert_eq!(
        pcm16_to_bytes(&[1, -2, 0x1234]),
        vec![1, 0, 0xfe, 0xff, 0x34, 0x12]
    );
    assert_eq!(
        pcm16_from_bytes(&[1, 0, 0xfe, 0xff, 0x34, 0x12, 9]),
        vec![1, -2, 0x1234]
    );
}

fn tone(rate: u32, hz: f64, n: usize, amp: f64) -> Vec<i16> {
    (0..n)
        .map(|i| {
            (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin()).round()
                as i16
        })
        .collect()
}

/// Root mean square of the middle half (the ends see only part of the filter).
fn rms(s: &[i16]) -> f64 {
    let mid = &s[s.len() / 4..s.len() * 3 / 4];
    (mid.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / mid.len() as f64).sqrt()
}

#[test]
fn resampling_keeps_lengths_and_a_constant_level_exactly() {
    for (from, to, n, want) in [
        (24_000, 8000, 480, 160),
        (8000, 16_000, 160, 320),
        (16_000, 8000, 320, 160),
        (22_050, 8000, 2205, 800),
    ] {
        let out = resample(&vec![1000; n], from, to);
        assert_eq!(out.len(), want, "{from} -> {to}");
        assert!(out.iter().all(|&s| s == 1000), "{from} -> {to}: {out:?}");
    }
    assert_eq!(resample(&[5, 6, 7], 8000, 8000), vec![5, 6, 7]);
}

#[test]
fn resampling_down_removes_what_the_line_cannot_carry() {
    // 1 kHz passes to the phone line's 8 kHz; 6 kHz (above its 4 kHz Nyquist) must not fold
    // back in as a 2 kHz whistle.
    let passed = resample(&tone(24_000, 1000.0, 4800, 10_000.0), 24_000, 8000);
    let want = 10_000.0 / 2f64.sqrt();
    assert!(
        (rms(&passed) - want).abs() / want < 0.02,
        "{}",
        rms(&passed)
    );
    let folded = resample(&tone(24_000, 6000.0, 4800, 10_000.0), 24_000, 8000);
    assert!(rms(&folded) < 0.01 * want, "{}", rms(&folded));
}

#[test]
fn resampling_up_and_back_down_returns_the_signal() {
    let x = tone(8000, 440.0, 1600, 8000.0);
    let y = resample(&resample(&x, 8000, 16_000), 16_000, 8000);
    assert_eq!(y.len(), x.len());
    let mid = 400..1200;
    let worst = mid
        .map(|i| (i32::from(x[i]) - i32::from(y[i])).abs())
        .max()
        .unwrap();
    assert!(worst <= 8, "largest difference {worst}");
}
