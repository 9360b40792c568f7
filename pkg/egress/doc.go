// Package egress builds the one *http.Client every function uses to call
// out (connectors, sources' profile fetches, JWKS), and the configuration
// checks of the URLs it will be asked to call.
//
// A Policy says what may be called: https to public addresses only, unless
// it names hosts that may be called over http (AllowHTTPHosts) or allows
// private or loopback addresses. The client enforces it three times: on
// each request's URL (scheme, literal and non-canonical numeric hosts), on
// each redirect (never to another host, never from https to http), and at
// dial time on the address DNS resolved to, so a name that resolves, or
// later re-resolves, to 169.254.169.254 or 127.0.0.1 is refused too. The
// client uses no proxy: through a proxy the dial check would see the
// proxy's address, not the back-end's.
//
// A refusal is a fault.Permanent whose text starts "refused by the egress
// policy:" and names the rule, the host and the address, never the path,
// query or headers, which may hold a record key or credentials.
//
// The policy travels with the client (PolicyOf), so a connector checks its
// secret's base URL against the same policy its calls will meet
// (CheckURL). Reading the environment into a Policy is FromEnv's; which
// policy a function runs with is pkg/wiring's (the production default),
// pkg/lambdaenv's and pkg/devstack's (Local) choice.
package egress
