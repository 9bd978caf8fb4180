/**
 * StateDB's parts for kloop's own code that measures them apart from the database: the B+tree
 * the tables are built on (`bench/statedb.ts` compares node sizes). Not a public entry point;
 * users import `kloop/statedb` (`index.ts`).
 */
export { emptyTree, setNodeSize, TreeBuilder, treeGet } from './btree.js';
