//! Font-based PDF headings on a synthetic `pdftohtml -xml` string: the XML parser and the
//! candidate rules, without the corpus or poppler installed.

#[allow(dead_code)]
#[path = "../src/pdf/column.rs"]
mod column;
#[allow(dead_code)]
#[path = "../src/pdf/fonts.rs"]
mod fonts;

use fonts::{font_headings, parse_xml, Rules};

const XML: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<pdf2xml producer="poppler" version="22.12.0">
<page number="1" position="absolute" top="0" left="0" height="1188" width="918">
	<fontspec id="0" size="12" family="Times" color="#000000"/>
	<fontspec id="1" size="21" family="Helvetica-Bold" color="#000000"/>
	<fontspec id="2" size="15" family="Times" color="#000000"/>
<text top="40" left="81" width="300" height="21" font="1">GENERAL &amp; SAFETY</text>
<text top="70" left="81" width="200" height="15" font="2"><b>Operating the</b></text>
<text top="86" left="81" width="200" height="15" font="2"><b>Remote Control</b></text>
<text top="110" left="81" width="350" height="12" font="0">The unit starts in the last operating mode and set point.</text>
<text top="126" left="81" width="350" height="12" font="0">It keeps the set point when the power fails, and beeps.</text>
<text top="142" left="81" width="350" height="12" font="0">Press the button again to stop it and wait three minutes.</text>
<text top="160" left="81" width="80" height="12" font="0"><b>NOTE:</b> Keep the filter clean.</text>
<text top="180" left="81" width="80" height="12" font="0"><b>UNIT ON</b></text>
<text top="196" left="100" width="200" height="12" font="0">a. Press the TIMER button.</text>
<text top="220" left="81" width="60" height="15" font="2"><b>AUTO</b></text>
<text top="220" left="200" width="60" height="15" font="2"><b>LOW</b></text>
<text top="220" left="300" width="60" height="15" font="2"><b>HIGH</b></text>
<text top="250" left="81" width="200" height="12" font="0"><b>Fig. 8 − Display</b></text>
<text top="270" left="81" width="200" height="15" font="2"><a href="doc.html#3"><b>Maintenance</b></a></text>
<text top="290" left="81" width="200" height="15" font="2"><a href="https://example.com/"><b>Example Site</b></a></text>
<text top="310" left="81" width="350" height="15" font="2"><b>This line is bold but reads like a sentence.</b></text>
<text top="330" left="478" width="200" height="15" font="2"><b>Cleaning the Coil</b></text>
<text top="330" left="81" width="350" height="12" font="0">Body text of the left column goes on here without a break</text>
</page>
</pdf2xml>
"##;

fn rules_reject(t: &str) -> bool {
    t.starts_with("Fig.") || t.starts_with("NOTE")
}
fn lead_in(t: &str) -> bool {
    t.starts_with("WARNING")
}
fn item(t: &str) -> bool {
    t.starts_with("a. ") || t.starts_with("- ")
}

#[test]
fn xml_boxes_fonts_runs_and_entities() {
    let boxes = parse_xml(XML);
    assert_eq!(boxes.len(), 18);
    let first = &boxes[0];
    assert_eq!((first.page, first.top, first.left), (1, 40, 81));
    assert_eq!(first.text, "GENERAL & SAFETY");
    assert!((first.size - 21.0).abs() < 0.01);
    assert!(first.bold_face && !first.bold);
    assert!(boxes[1].bold);
    let note = boxes.iter().find(|b| b.text.starts_with("NOTE"));
    assert!(note.is_some_and(|b| !b.bold), "partly bold is not bold");
    let link = boxes.iter().find(|b| b.text == "Maintenance");
    assert_eq!(link.and_then(|b| b.link_page), Some(3));
    assert!(boxes.iter().any(|b| b.text == "Example Site" && b.link_out));
    // Garbage does not panic.
    assert!(parse_xml("<text top=\"x\"><b>unclosed").len() <= 1);
    assert!(parse_xml("").is_empty());
}

#[test]
fn candidates_stand_alone_short_and_styled() {
    let boxes = parse_xml(XML);
    let rules = Rules {
        reject: &rules_reject,
        lead_in: &lead_in,
        item: &item,
    };
    let heads = font_headings(&boxes, &rules);
    let titles: Vec<&str> = heads.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(
        titles,
        [
            "GENERAL & SAFETY",
            "Operating the Remote Control",
            "Cleaning the Coil"
        ],
        "wrapped heading joined; table row, caption, admonition, list label, contents link, \
         web link and sentence left out; a heading beside body text in another column kept"
    );
    assert_eq!(heads[0].rank, 1);
    assert_eq!(heads[1].rank, 2);
    assert_eq!(heads[2].rank, 2);
}
