// Package approval holds the mechanics of the manual-approval authority:
// a person, not an API, decides whether a claim holds.
//
// What lives here:
//   - Links (links.go): signed, expiring approve and reject links, one pair
//     per notice, that carry the approval id, the action and the approver;
//   - Handler (handler.go): the page behind a link. GET shows the claim and
//     its evidence and a confirm button and changes nothing (chat apps and
//     mail scanners fetch links ahead of the person); POST records the
//     decision through a Decider;
//   - Notifiers (notify.go, webhook.go): the notice that asks for a
//     decision, with the two links and no personal data, sent to a chat
//     webhook (Slack or plain JSON) or an SNS topic;
//   - Due (due.go): when to remind the approver and when a pending
//     approval has expired.
//
// What does not: the approval store, the authority that creates approvals
// and the engine that reads their decisions. They implement Decider and
// call Links, the notifiers and Due. Single use is theirs too: a decision
// is recorded once per approval id (a second one fails with
// ErrAlreadyDecided), and the store may also refuse a link whose Nonce it
// has seen (LinkFromContext gives Decide the opened link).
package approval
