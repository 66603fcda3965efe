/**
 * Exact money: amounts with up to 4 decimals are stored as integer units and summed without
 * floating-point drift; weighted values are rounded half-up to 4 decimals; totals per currency.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { decimalPlaces, fromUnits, MAX_AMOUNT, MoneyAccumulator, sumAmounts, toUnits, unitsToDecimalString, weightedUnits } from '../../shared/money.js';

describe('units', () => {
  test('round-trips every amount with up to 4 decimals exactly', () => {
    for (const amount of [0, 0.1, 0.2, 0.3, 1.05, 19.99, 1234.5678, 0.0001, 100, MAX_AMOUNT, 99_999_999_999.9999 - 0.0009, 1e-4]) {
      assert.equal(fromUnits(toUnits(amount)), amount, String(amount));
    }
    assert.equal(toUnits(0.1), 1000);
    assert.equal(toUnits(1.005), 10050, 'no binary rounding (1.005 * 10000 = 10049.999… in floats)');
    assert.equal(toUnits(1e-4), 1);
    assert.equal(toUnits(-2.5), -25000);
  });

  test('more than 4 decimals is refused, not rounded', () => {
    assert.throws(() => toUnits(0.00001), RangeError);
    assert.throws(() => toUnits(1.23456), RangeError);
  });

  test('decimal places as written in JSON, exponent notation included', () => {
    assert.equal(decimalPlaces(1), 0);
    assert.equal(decimalPlaces(1.5), 1);
    assert.equal(decimalPlaces(0.0001), 4);
    assert.equal(decimalPlaces(1e-7), 7);
    assert.equal(decimalPlaces(1e21), 0);
  });

  test('units to decimal strings', () => {
    assert.equal(unitsToDecimalString(0n), '0');
    assert.equal(unitsToDecimalString(12_345_678n), '1234.5678');
    assert.equal(unitsToDecimalString(10_000n), '1');
    assert.equal(unitsToDecimalString(-5n), '-0.0005');
    assert.equal(unitsToDecimalString(1_000_000_000_000_000n), '100000000000');
  });
});

describe('sums', () => {
  test('0.1 + 0.2 is 0.3 and ten dimes are 1', () => {
    assert.equal(sumAmounts([0.1, 0.2]), 0.3);
    assert.equal(sumAmounts(Array(10).fill(0.1)), 1);
    assert.notEqual(
      Array(10)
        .fill(0.1)
        .reduce((a, b) => a + b, 0),
      1,
      'floats would drift',
    );
    assert.equal(sumAmounts([]), 0);
  });

  test('large sums stay exact beyond float precision of the cents', () => {
    const amounts = Array(1000).fill(MAX_AMOUNT);
    assert.equal(sumAmounts(amounts.slice(0, 10)), MAX_AMOUNT * 10);
    const acc = new MoneyAccumulator();
    for (const a of amounts) acc.add('USD', toUnits(a), 1);
    assert.equal(acc.totals()[0].value, 99_999_999_999_000);
  });
});

describe('weighted values', () => {
  test('amount × probability, rounded half-up to 4 decimals', () => {
    assert.equal(fromUnits(weightedUnits(toUnits(1000.0001), 0.7)), 700.0001); // 700.00007
    assert.equal(fromUnits(weightedUnits(toUnits(0.0001), 0.5)), 0.0001); // 0.00005 rounds up
    assert.equal(fromUnits(weightedUnits(toUnits(0.0001), 0.4999)), 0); // 0.00004999 rounds down
    assert.equal(fromUnits(weightedUnits(toUnits(33.33), 0.3333)), 11.1089); // 11.108889
    assert.equal(fromUnits(weightedUnits(toUnits(100), 0)), 0);
    assert.equal(fromUnits(weightedUnits(toUnits(100), 1)), 100);
  });
});

describe('MoneyAccumulator', () => {
  test('totals per currency, sorted, counting deals without an amount', () => {
    const acc = new MoneyAccumulator();
    acc.add('USD', toUnits(0.1), 0.5);
    acc.add('EUR', toUnits(10), 0.25);
    acc.add('USD', toUnits(0.2), 0.5);
    acc.add('USD', null, 0.9);
    acc.add('EUR', toUnits(0.05), null);
    assert.deepEqual(acc.totals(), [
      { currency: 'EUR', count: 2, value: 10.05, weightedValue: 2.5 },
      { currency: 'USD', count: 3, value: 0.3, weightedValue: 0.15 },
    ]);
    assert.deepEqual(new MoneyAccumulator().totals(), []);
  });
});
