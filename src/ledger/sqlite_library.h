#pragma once
// Process-wide SQLite settings, applied once before SQLite's first use (it
// accepts them only then). Both ways the ledger opens a file call it.
namespace fulcrum {

// No memory statistics: SQLite otherwise takes a global mutex on every
// allocation to count them, ~20% of a ledger row's insert. Nothing here reads them.
void configure_sqlite_once();

}  // namespace fulcrum
