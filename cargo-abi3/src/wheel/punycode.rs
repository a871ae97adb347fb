//! Punycode (RFC 3492) encoding, as CPython uses it for the entry points of modules with
//! non-ASCII names (PEP 489: `PyInitU_<punycode, '-' replaced by '_'>`).

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn digit(d: u32) -> char {
    // 0..=25 → a..z, 26..=35 → 0..9
    match d {
        0..=25 => char::from(b'a' + d as u8),
        _ => char::from(b'0' + (d - 26) as u8),
    }
}

/// Encodes `input`; `None` on arithmetic overflow (absurdly long input).
pub fn encode(input: &str) -> Option<String> {
    let chars: Vec<u32> = input.chars().map(u32::from).collect();
    let mut output: String = input.chars().filter(char::is_ascii).collect();
    let basic = output.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        output.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let total = chars.len() as u32;
    while handled < total {
        let m = chars.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &chars {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(output)
}

/// The suffix CPython appends to `PyInit_`/`PyModExport_` (ASCII names) or
/// `PyInitU_`/`PyModExportU_` (others): returns `(is_unicode, suffix)`.
pub fn hook_suffix(module: &str) -> Option<(bool, String)> {
    if module.is_ascii() {
        Some((false, module.to_owned()))
    } else {
        encode(module).map(|p| (true, p.replace('-', "_")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn rfc3492_and_python_codec_vectors() {
        // Checked against Python's `str.encode("punycode")`.
        for (plain, encoded) in [
            ("café", "caf-dma"),
            ("ü", "tda"),
            ("bücher", "bcher-kva"),
            ("München", "Mnchen-3ya"),
            ("日本語", "wgv71a119e"),
            ("abc", "abc-"),
            ("", ""),
        ] {
            assert_eq!(encode(plain).as_deref(), Some(encoded), "{plain}");
        }
        // RFC 3492 7.1 (A) Arabic (Egyptian).
        assert_eq!(
            encode("\u{644}\u{64a}\u{647}\u{645}\u{627}\u{628}\u{62a}\u{643}\u{644}\u{645}\u{648}\u{634}\u{639}\u{631}\u{628}\u{64a}\u{61f}")
                .as_deref(),
            Some("egbpdaj6bu4bxfgehfvwxn")
        );
        assert_eq!(hook_suffix("café"), Some((true, "caf_dma".into())));
        assert_eq!(hook_suffix("_core"), Some((false, "_core".into())));
    }
}
