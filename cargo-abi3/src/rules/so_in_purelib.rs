//! `so-in-purelib`: a shared object installed into purelib.

use super::{BinarySubject, Check, Findings, Rule};
use crate::Code;
use crate::finding::Finding;

pub const RULE: Rule = Rule {
    code: Code::SoInPurelib,
    check: Check::Binary(check),
};

fn check(subject: &BinarySubject<'_>, out: &mut Findings) {
    if !subject.in_purelib || !subject.is_first_slice() {
        return;
    }
    let Some(wheel) = subject.wheel else { return };
    let why = if subject.path.contains(".data/purelib/") {
        "it is under `*.data/purelib/`".to_owned()
    } else if wheel.metadata.root_is_purelib() {
        "the WHEEL file says `Root-Is-Purelib: true`".to_owned()
    } else {
        "the wheel installs it into purelib".to_owned()
    };
    out.push(
        Finding::new(
            Code::SoInPurelib,
            format!("`{}` is a compiled binary installed as pure Python", subject.path),
        )
        .note(why)
        .note("purelib may be shared between interpreters and platforms (distribution packages split platlib from purelib)")
        .help("set `Root-Is-Purelib: false` and install binaries at the wheel root or under `*.data/platlib/`"),
    );
}
