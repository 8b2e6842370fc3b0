use super::*;
use nic_core::{BlockKind, ExtractedPage};

fn doc_of(pages: &[&str]) -> ExtractedDoc {
    let mut d = ExtractedDoc {
        title: "t".into(),
        pages: pages
            .iter()
            .enumerate()
            .map(|(i, t)| ExtractedPage {
                number: i as u32 + 1,
                text: t.to_string(),
                sections: vec![],
            })
            .collect(),
        ..Default::default()
    };
    let running = running_lines(&d.pages);
    let skip = |l: &str| running.contains(l);
    build(&mut d, Headings::Lines { skip: &skip }, &[]);
    d
}

fn outline(d: &ExtractedDoc) -> Vec<(u8, u32, String)> {
    d.tree
        .headings()
        .map(|s| (s.level, s.page_start, s.heading.clone()))
        .collect()
}

#[test]
fn numbered_causes_inside_a_para_are_list_items() {
    let d = doc_of(&["SECTION 1: GENERAL\n\nPara 1-2 Engine Cranks But Won't Start\nThe most likely causes are:\n1. Fuel System Issue (65% probability)\na. Check the fuel gauge.\n2. Ignition Problem (20% probability)\n4. Mass Airflow Sensor Contamination (10% probability)\n\nSECTION 7: PREVENTIVE MAINTENANCE\n\nTable 7-1 Torque Specifications\n| Item | Torque |\n| Lug nut | 120 ft-lbs |"]);
    let o = outline(&d);
    let titles: Vec<&str> = o.iter().map(|h| h.2.as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "SECTION 1: GENERAL",
            "Para 1-2 Engine Cranks But Won't Start",
            "SECTION 7: PREVENTIVE MAINTENANCE",
            "Table 7-1 Torque Specifications"
        ]
    );
    assert_eq!(o[1].0, 2);
    assert_eq!(o[3].0, 2);
    assert_eq!(
        d.tree.path(4),
        vec![
            "SECTION 7: PREVENTIVE MAINTENANCE",
            "Table 7-1 Torque Specifications"
        ]
    );
    let steps = d
        .tree
        .blocks
        .iter()
        .find(|b| b.kind == BlockKind::Steps)
        .unwrap();
    assert_eq!(steps.items.len(), 3);
    assert_eq!(steps.items[0].sub.len(), 1);
    let table = d
        .tree
        .blocks
        .iter()
        .find(|b| b.kind == BlockKind::Table)
        .unwrap();
    let t = table.table.as_ref().unwrap();
    assert_eq!(t.header, vec!["Item", "Torque"]);
    assert_eq!(
        t.rows,
        vec![vec!["Lug nut".to_string(), "120 ft-lbs".into()]]
    );
}

#[test]
fn levels_follow_numbering() {
    let d = doc_of(&["SECTION 3: BRAKES\n\nPara 3-2 Bleeding\nText.\n\n3-2.1 Pressure Bleeding\nMore text.\n\nPara 3-3 Pads\nText."]);
    let o = outline(&d);
    assert_eq!(o.iter().map(|h| h.0).collect::<Vec<_>>(), vec![1, 2, 3, 2]);
}

#[test]
fn bullets_are_not_headings_and_markdown_nests() {
    let d = doc_of(&["# Manual\n\n### SECTION 3: COMMON TROUBLESHOOTING\n\n**Tire Pressure Warning**\nIf the light comes on:\n- DO NOT DRIVE\n- Check pressure\n\n**Poor Fuel Economy**\n**Procedure:**\n1. Check tires\n2. Replace filter"]);
    let o = outline(&d);
    let titles: Vec<&str> = o.iter().map(|h| h.2.as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "Manual",
            "SECTION 3: COMMON TROUBLESHOOTING",
            "Tire Pressure Warning",
            "Poor Fuel Economy",
            "Procedure"
        ]
    );
    assert_eq!(
        o.iter().map(|h| h.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 3, 4]
    );
}

#[test]
fn running_headers_are_skipped_and_tables_keep_their_header_across_pages() {
    let d = doc_of(&[
        "TM 9-1\nSECTION 1: GENERAL\nIntro text.",
        "TM 9-1\nTable 1-1 Torques\n| Item | Value |\n| A | 1 |",
        "TM 9-1\n| Item | Value |\n| B | 2 |\nEnd text.",
    ]);
    let o = outline(&d);
    assert!(o.iter().all(|h| h.2 != "TM 9-1"));
    let tables: Vec<_> = d
        .tree
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Table)
        .collect();
    assert_eq!(tables.len(), 2);
    assert!(tables[1].continued);
    let t = tables[1].table.as_ref().unwrap();
    assert_eq!(t.header, vec!["Item", "Value"]);
    assert_eq!(t.rows, vec![vec!["B".to_string(), "2".into()]]);
}

#[test]
fn warnings_are_blocks_with_their_text() {
    let d = doc_of(&["Para 2-1 Replace\nWARNING\nBrake dust can harm you.\nWear a mask.\n\n1. Remove the wheel.\n2. Remove the pads."]);
    let w = d
        .tree
        .blocks
        .iter()
        .find(|b| b.kind == BlockKind::Admonition)
        .unwrap();
    assert_eq!(w.admonition, Some(nic_core::Admonition::Warning));
    assert!(w.text.contains("Wear a mask."));
    assert_eq!(d.tree.counts().warnings, 1);
    assert_eq!(d.tree.counts().procedures, 1);
}

#[test]
fn flat_text_is_a_valid_tree() {
    let d = doc_of(&["just some words without any structure at all."]);
    assert_eq!(d.tree.sections.len(), 1);
    assert_eq!(d.tree.blocks.len(), 1);
    let many: String = (0..10_000).map(|i| format!("- item {i}\n")).collect();
    let d = doc_of(&[&many]);
    assert_eq!(d.tree.sections.len(), 1);
    assert_eq!(d.tree.blocks[0].items.len(), 10_000);
    let punct = doc_of(&["# ***\n## ---\n!!!\n"]);
    assert!(punct.tree.headings().count() <= 1);
}
