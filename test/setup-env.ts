// See jest.config.js: no background rollup pass in tests, unless one asks for it.
process.env.KUBECOST_ROLLUP_LOOKBACK ??= '0';
