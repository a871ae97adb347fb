//! Streamed rendering: a report is written as its inputs are done, one group (a release, a
//! loose file) at a time, so what a run keeps across groups is a few counters, whatever the
//! number of inputs.
//!
//! Every format is a [`Render`]: text before any input, text for each group, and text after
//! the last one given the [`Summary`] counted along the way. [`Stream`] drives one over a
//! writer. A stream that is dropped before [`Stream::finish`] (an error or a panic midway)
//! still writes its end, so a JSON or SARIF document is complete on every exit path.

use std::io::{self, Write};

use serde::Serialize;

use super::{InputReport, Report, Summary};

/// One output format, rendered in three steps.
pub trait Render {
    /// Text before the first input.
    fn begin(&mut self) -> String;
    /// Text for one group of finished inputs (a release's wheels, a loose file, the policy).
    fn group(&mut self, inputs: &[InputReport]) -> String;
    /// Text after the last input.
    fn end(&mut self, summary: &Summary) -> String;
}

/// A [`Render`] writing to `out` as groups arrive, counting the summary.
pub struct Stream<'a> {
    render: Box<dyn Render + 'a>,
    out: Box<dyn Write + 'a>,
    summary: Summary,
    ended: bool,
    /// The reader went away (`| head`): nothing more is written, the run still completes.
    closed: bool,
    error: Option<io::Error>,
}

impl<'a> Stream<'a> {
    /// Starts the document (writes what comes before the inputs).
    pub fn new(mut render: Box<dyn Render + 'a>, out: Box<dyn Write + 'a>) -> Self {
        let begin = render.begin();
        let mut stream = Stream {
            render,
            out,
            summary: Summary::default(),
            ended: false,
            closed: false,
            error: None,
        };
        stream.write(&begin);
        stream
    }

    fn write(&mut self, text: &str) {
        if self.closed || self.error.is_some() || text.is_empty() {
            return;
        }
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.closed = true,
            Err(e) => self.error = Some(e),
        }
    }

    /// Renders and writes one group of finished inputs, and counts them.
    pub fn push(&mut self, inputs: &[InputReport]) {
        if inputs.is_empty() {
            return;
        }
        for input in inputs {
            self.summary.add(input);
        }
        let text = self.render.group(inputs);
        self.write(&text);
    }

    /// The counts so far.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    fn end(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        let summary = self.summary;
        let text = self.render.end(&summary);
        self.write(&text);
    }

    /// Ends the document; the counts, or the first write error (a closed pipe is none).
    pub fn finish(mut self) -> io::Result<Summary> {
        self.end();
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(self.summary),
        }
    }
}

impl Drop for Stream<'_> {
    /// A stream left midway still ends its document.
    fn drop(&mut self) {
        self.end();
    }
}

/// The whole `report` rendered by `render` as one group, as a string.
pub fn render_to_string(render: Box<dyn Render + '_>, report: &Report) -> String {
    let mut buffer = Vec::new();
    {
        let mut stream = Stream::new(render, Box::new(&mut buffer));
        stream.push(&report.inputs);
        // Writing to a Vec cannot fail.
        let _ = stream.finish();
    }
    String::from_utf8_lossy(&buffer).into_owned()
}

/// `value` pretty-printed as serde_json does, its lines after the first indented by
/// `indent` spaces, to stand inside a document written by hand at that depth. JSON strings
/// hold no raw newline, so every line break is the printer's.
pub(crate) fn pretty_at<T: Serialize + ?Sized>(value: &T, indent: usize) -> String {
    let text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    let pad = format!("\n{}", " ".repeat(indent));
    text.replace('\n', &pad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::JsonRender;
    use crate::report::sarif::{SarifOptions, SarifRender};
    use crate::report::{InputKind, InputReport};

    fn input(path: &str) -> InputReport {
        let mut input = InputReport::new(path.into(), InputKind::Path);
        input.findings.push(crate::finding::Finding::new(
            cargo_abi3_build_hook::Code::NothingToAudit,
            "nothing",
        ));
        input
    }

    /// A stream left midway (an error or a panic between groups) still ends its document:
    /// what was written so far is valid JSON and SARIF, with the counts so far.
    #[test]
    fn a_stream_dropped_midway_is_a_whole_document() {
        for render in [
            Box::new(JsonRender::default()) as Box<dyn Render>,
            Box::new(SarifRender::new(SarifOptions::default())),
        ] {
            let mut buffer = Vec::new();
            {
                let mut stream = Stream::new(render, Box::new(&mut buffer));
                stream.push(&[input("a")]);
                stream.push(&[input("b"), input("c")]);
            }
            let text = String::from_utf8(buffer).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            match value.get("inputs") {
                Some(inputs) => {
                    assert_eq!(inputs.as_array().map(Vec::len), Some(3));
                    assert_eq!(value["summary"]["errors"], 3);
                }
                None => assert_eq!(
                    value["runs"][0]["results"].as_array().map(Vec::len),
                    Some(3)
                ),
            }
        }
    }

    /// Groups are written as they are pushed, not at the end.
    #[test]
    fn each_group_is_written_when_pushed() {
        struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let buffer = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let mut stream = Stream::new(
            Box::new(crate::report::human::HumanRender::new(Default::default())),
            Box::new(Shared(buffer.clone())),
        );
        stream.push(&[input("first")]);
        let after_one = String::from_utf8(buffer.borrow().clone()).unwrap();
        assert!(after_one.contains("Audited first"), "{after_one}");
        assert!(!after_one.contains("could not analyse"), "{after_one}");
        stream.push(&[input("second")]);
        let summary = stream.finish().unwrap();
        assert_eq!((summary.inputs, summary.errors), (2, 2));
        let all = String::from_utf8(buffer.borrow().clone()).unwrap();
        let first = all.find("Audited first").unwrap();
        let second = all
            .find("error[nothing-to-audit]: nothing\n --> second")
            .unwrap();
        assert!(first < second, "{all}");
        assert!(
            all.ends_with(
                "could not analyse everything: 2 inputs, 0 binaries: 2 errors, 0 warnings\n"
            ),
            "{all}"
        );
    }
}
