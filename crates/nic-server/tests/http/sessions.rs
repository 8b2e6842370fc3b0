//! Sessions (issue 3 item 7): follow-ups use the session's turns; a session belongs to the
//! client that created it; DELETE resets it.
//!
//! The client identity is the hash of the presented API token, else the peer address. All
//! test clients are 127.0.0.1, so two clients are emulated with two different
//! `X-API-TOKEN` values on a server without `NOVA_API_TOKEN` (the token then only names
//! the client). The same property is also checked at the engine level with two
//! `client_id`s.

use crate::common::*;
use nic_answer::{AskMode, AskRequest};
use serde_json::{json, Value};

const CALIPER_Q: &str = "How do I replace the front brake caliper?";
const FOLLOW_UP: &str = "and what torque for those?";

fn cites_doc(v: &Value, doc: &str) -> bool {
    v["citations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["doc"] == doc)
}

fn chunk_ids(v: &Value) -> Vec<String> {
    v["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chunk_id"].as_str().unwrap().to_string())
        .collect()
}

async fn ask_as(s: &Server, token: &str, body: Value) -> Value {
    let r = s
        .http
        .post(s.url("/api/ask"))
        .header("x-api-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn follow_up_retrieves_the_previous_turns_evidence() {
    let s = start().await;
    let first = s.ask(json!({"question": CALIPER_Q})).await;
    assert_eq!(first["status"], "answered", "{first}");
    let sid = first["session_id"].as_str().unwrap().to_string();

    let second = s
        .ask(json!({"question": FOLLOW_UP, "session_id": sid}))
        .await;
    assert_eq!(second["session_id"], sid.as_str());
    assert_eq!(second["status"], "answered", "{second}");
    assert!(
        cites_doc(&second, "vehicle/brakes.txt"),
        "follow-up lost the caliper context: {second}"
    );
    let answer = second["answer"].as_str().unwrap().to_lowercase();
    assert!(
        answer.contains("torque"),
        "the follow-up is about torque: {answer}"
    );

    let r = s.get(&format!("/api/sessions/{sid}")).await;
    assert_eq!(r.status(), 200);
    let sess: Value = r.json().await.unwrap();
    let turns = sess["turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 2, "{sess}");
    assert_eq!(turns[0]["question"], CALIPER_Q);
    assert_eq!(turns[1]["question"], FOLLOW_UP);
    let q = turns[1]["query"].as_str().unwrap().to_lowercase();
    assert!(
        q.contains("caliper") && q.contains("torque"),
        "follow-up not rewritten: {q}"
    );
    assert!(
        sess.get("client").is_none(),
        "the owner identity must not be exposed: {sess}"
    );
    s.stop().await;
}

#[tokio::test]
async fn another_client_cannot_read_or_affect_a_session() {
    let s = start().await;
    let a = ask_as(&s, "client-a", json!({"question": CALIPER_Q})).await;
    let sid = a["session_id"].as_str().unwrap().to_string();
    let path = format!("/api/sessions/{sid}");

    // B cannot read or delete A's session.
    let r = s
        .http
        .get(s.url(&path))
        .header("x-api-token", "client-b")
        .send()
        .await
        .unwrap();
    expect_error(r, 404, "not_found").await;
    let r = s
        .http
        .delete(s.url(&path))
        .header("x-api-token", "client-b")
        .send()
        .await
        .unwrap();
    expect_error(r, 404, "not_found").await;

    // B's follow-up in A's session gets exactly what B gets without a session.
    let b_in_a = ask_as(
        &s,
        "client-b",
        json!({"question": FOLLOW_UP, "session_id": sid}),
    )
    .await;
    let b_alone = ask_as(&s, "client-c", json!({"question": FOLLOW_UP})).await;
    assert_eq!(b_in_a["status"], b_alone["status"]);
    assert_eq!(
        chunk_ids(&b_in_a),
        chunk_ids(&b_alone),
        "A's session steered B's answer"
    );

    // A's session is untouched: one turn, still readable and deletable by A.
    let r = s
        .http
        .get(s.url(&path))
        .header("x-api-token", "client-a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sess: Value = r.json().await.unwrap();
    assert_eq!(
        sess["turns"].as_array().unwrap().len(),
        1,
        "B wrote into A's session: {sess}"
    );
    let r = s
        .http
        .delete(s.url(&path))
        .header("x-api-token", "client-a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    s.stop().await;
}

#[tokio::test]
async fn sessions_are_isolated_at_the_engine_level() {
    let state = tokio::task::spawn_blocking(shared_state).await.unwrap();
    let engine = state.engine.clone();
    let ask = |client: &str, q: &str, sid: Option<String>| AskRequest {
        question: q.into(),
        session_id: sid,
        domain: None,
        mode: AskMode::Extractive,
        top_k: None,
        client_id: client.into(),
        request_id: "engine-test".into(),
    };
    let a1 = engine.ask(ask("engine-a", CALIPER_Q, None)).await.unwrap();
    let sid = a1.session_id.clone();
    let b = engine
        .ask(ask("engine-b", FOLLOW_UP, Some(sid.clone())))
        .await
        .unwrap();
    let c = engine.ask(ask("engine-c", FOLLOW_UP, None)).await.unwrap();
    let ids = |r: &nic_answer::AskResponse| {
        r.citations
            .iter()
            .map(|c| c.chunk_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&b), ids(&c), "A's session steered B's answer");
    let store = engine.sessions();
    assert!(store.get(&sid, "engine-b").is_none());
    assert_eq!(store.get(&sid, "engine-a").unwrap().turns.len(), 1);
    assert!(!store.delete(&sid, "engine-b"));
    let a2 = engine
        .ask(ask("engine-a", FOLLOW_UP, Some(sid.clone())))
        .await
        .unwrap();
    let turns = store.get(&sid, "engine-a").unwrap().turns;
    assert_eq!(turns.len(), 2);
    assert!(
        turns[1].query.to_lowercase().contains("caliper"),
        "{:?}",
        turns[1]
    );
    assert!(a2.citations.iter().any(|c| c.doc == "vehicle/brakes.txt"));
}

#[tokio::test]
async fn delete_resets_a_session() {
    let s = start().await;
    let v = s.ask(json!({"question": CALIPER_Q})).await;
    let sid = v["session_id"].as_str().unwrap().to_string();
    let path = format!("/api/sessions/{sid}");
    assert_eq!(s.get(&path).await.status(), 200);
    let r = s.http.delete(s.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 204);
    expect_error(s.get(&path).await, 404, "not_found").await;
    let r = s.http.delete(s.url(&path)).send().await.unwrap();
    expect_error(r, 404, "not_found").await;

    // After the reset a follow-up has no context to lean on.
    let after = s
        .ask(json!({"question": FOLLOW_UP, "session_id": sid}))
        .await;
    let r = s.get(&path).await;
    let sess: Value = r.json().await.unwrap();
    assert_eq!(sess["turns"].as_array().unwrap().len(), 1, "{sess}");
    let q = sess["turns"][0]["query"].as_str().unwrap().to_lowercase();
    assert!(
        !q.contains("caliper"),
        "context survived the reset: {q} {after}"
    );

    // Unknown and malformed ids.
    expect_error(s.get("/api/sessions/doesnotexist").await, 404, "not_found").await;
    expect_error(s.get("/api/sessions/bad%20id%21").await, 400, "bad_request").await;
    s.stop().await;
}
