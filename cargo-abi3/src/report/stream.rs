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
