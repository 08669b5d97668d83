package tools

// Inventory lists every tool the server knows, in a stable order. Select filters it.
func Inventory(d *Deps, o Options) []ServerTool {
	return []ServerTool{
		importPropose(d),
		importApply(d, o),
		triagePropose(d),
		triageApply(d, o),
		escalatePropose(d),
		escalateApply(d, o),
		invalidatePropose(d),
		invalidateApply(d, o),
		deduplicatePropose(d),
		deduplicateApply(d, o),
		syncPropose(d),
		syncApply(d, o),
		trackerList(d),
		trackerGet(d),
		guardCheck(d),
		projectInfo(d, o),
	}
}
