package devstack

import "strings"

// LogicalID is the template's logical id of a target's sync function:
// "salesforce" → "SalesforceSyncFunction", "crm-eu" → "CrmEuSyncFunction".
func LogicalID(target string) string {
	var b strings.Builder
	for _, part := range strings.Split(target, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "SyncFunction"
}
