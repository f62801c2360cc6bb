"""Document numbers: dense and unique per kind and year, even under concurrency."""
import random
import threading

import psycopg2
import pytest


def connect(server):
    conn = psycopg2.connect(server.conninfo)
    conn.autocommit = False
    return conn


def allocate(conn, kind, at):
    with conn.cursor() as cur:
        cur.execute("SELECT next_document_number(%s, %s)", (kind, at))
        return cur.fetchone()[0]


def test_concurrent_transactions_get_a_dense_sequence_without_duplicates(server):
    workers, rounds = 10, 6
    committed, rolled_back, errors = [], [], []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def work(seed):
        rnd = random.Random(seed)
        conn = connect(server)
        try:
            start.wait()
            for i in range(rounds):
                number = allocate(conn, "SO", "2031-06-01T12:00:00Z")
                if rnd.random() < 0.3:
                    conn.rollback()
                    with lock:
                        rolled_back.append(number)
                else:
                    conn.commit()
                    with lock:
                        committed.append(number)
        except Exception as e:  # reported below, the thread must not die silently
            errors.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(committed) + len(rolled_back) == workers * rounds
    assert rolled_back, "the random mix should have rolled some transactions back"
    assert len(set(committed)) == len(committed), "a number was committed twice"
    expected = ["SO-2031-%05d" % n for n in range(1, len(committed) + 1)]
    assert sorted(committed) == expected
    last = server.psql("SELECT last_value FROM document_counters "
                       "WHERE kind = 'SO' AND year = 2031")
    assert last == [(len(committed),)]


def test_a_rolled_back_number_is_handed_out_again(server):
    first, second = connect(server), connect(server)
    try:
        assert allocate(first, "PO", "2036-03-01T10:00:00Z") == "PO-2036-00001"
        first.rollback()
        assert allocate(second, "PO", "2036-03-01T10:00:00Z") == "PO-2036-00001"
        second.commit()
        assert allocate(first, "PO", "2036-03-02T10:00:00Z") == "PO-2036-00002"
        first.commit()
    finally:
        first.close()
        second.close()


def test_a_second_transaction_waits_for_the_first_to_finish(server):
    first, second = connect(server), connect(server)
    got = []
    try:
        assert allocate(first, "Q", "2038-05-05T10:00:00Z") == "Q-2038-00001"
        t = threading.Thread(target=lambda: got.append(
            allocate(second, "Q", "2038-05-05T10:00:00Z")))
        t.start()
        t.join(1.5)
        assert t.is_alive() and got == [], "the counter row must be locked"
        first.rollback()
        t.join(30)
        assert got == ["Q-2038-00001"]
        second.commit()
    finally:
        first.close()
        second.close()


def test_the_year_rolls_over_and_each_kind_counts_alone(server):
    at_2032 = "2032-12-31T10:00:00Z"
    assert server.psql("SELECT next_document_number('INV', %s)", (at_2032,)) == [("INV-2032-00001",)]
    assert server.psql("SELECT next_document_number('INV', %s)", (at_2032,)) == [("INV-2032-00002",)]
    assert server.psql("SELECT next_document_number('Q', %s)", (at_2032,)) == [("Q-2032-00001",)]
    assert server.psql("SELECT next_document_number('INV', '2033-01-01T10:00:00Z')") == [("INV-2033-00001",)]
    assert server.psql("SELECT next_document_number('INV', %s)", (at_2032,)) == [("INV-2032-00003",)]


def test_the_year_is_counted_in_the_business_time_zone(server):
    # 23:30 UTC on New Year's Eve is already the next year in Berlin
    assert server.psql("SELECT next_document_number('SO', '2034-12-31T23:30:00Z')") == [("SO-2035-00001",)]


def test_numbers_grow_past_five_digits_without_being_cut(server):
    server.psql("INSERT INTO document_counters (kind, year, last_value) VALUES ('PO', 2039, 99999)")
    assert server.psql("SELECT next_document_number('PO', '2039-07-01T00:00:00Z')") == [("PO-2039-100000",)]


def test_unknown_kinds_are_refused(server):
    with pytest.raises(psycopg2.Error) as info:
        server.psql("SELECT next_document_number('XX', now())")
    assert info.value.pgcode == "22023"
    assert "XX" in str(info.value)
