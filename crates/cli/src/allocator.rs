//! The process's allocator (ADR 0007): mimalloc for Rust and for SQLite, giving memory back at
//! once in the server and the imports. The only unsafe code of the workspace: calls to the C
//! interfaces of mimalloc and SQLite, each with its reason.

#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};

use libmimalloc_sys as mi;
use libsqlite3_sys as sqlite;

/// mimalloc: imports and searches allocate many small strings; it is markedly faster than the
/// system allocator for them and returns freed memory to the system.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (the binding does not name it; the
/// test below checks that this option is the one whose default is 1,000 ms).
const MI_OPTION_PURGE_DELAY: mi::mi_option_t = 15;

/// mimalloc gives freed memory back to the system a second after it was freed, and only when
/// the thread that freed it allocates again: a server idle after a heavy page (the whole
/// country's territory) kept its peak for good. At once instead: with the national directory,
/// about 80 MB less at start and 130 MB less after the territory's pages, for no measurable
/// loss of throughput (docs/PERFORMANCE.md, « Memory »). `MIMALLOC_PURGE_DELAY` still wins.
/// For `serve` and the imports.
pub fn give_memory_back_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: `mi_option_set` stores a number in mimalloc's table of options (an atomic
    // write); 0 is a documented value of this option ("immediate purging").
    unsafe { mi::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

/// The process's memory in pages of 4 KB, not in the transparent huge pages of 2 MB that
/// mimalloc asks the system for: a huge page is given whole — zeroed, and counted in the
/// resident memory — at the first byte touched, and mimalloc's arenas are touched here and
/// there. With the national directory and the territory's layers, the server held 186–190 MB
/// with them, 161–164 MB without, for no measured loss of speed (docs/PERFORMANCE.md,
/// « Memory »). The flag is the whole process's, every thread's: `main` sets it first thing,
/// pages touched earlier keep their size. Linux only (elsewhere, nothing to do); a refusal of
/// the system is only a matter of memory, so it is reported, not acted upon.
pub fn without_huge_pages() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)` sets a flag of the calling process
        // (documented in prctl(2) since Linux 3.15); it reads and writes no memory of ours.
        let code = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        if code != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// SQLite allocates through mimalloc too. Through the C library's allocator, the many small
/// blocks of a large read (the whole country's territory: 320,000 allocations on SQLite's
/// threads) were freed into a heap that the C library never gave back (27 MB kept after the
/// page, measured with `malloc_trim`); through mimalloc they are given back as Rust's are.
/// Returns SQLite's code: `SQLITE_OK`, or `SQLITE_MISUSE` once SQLite is initialised (it then
/// keeps the C library's allocator, which is only a matter of memory).
///
/// # Safety
///
/// No other thread may use SQLite during the call (`sqlite3_config` is not thread-safe): call
/// it at start, before any connection is opened.
pub unsafe fn sqlite_allocates_with_mimalloc() -> c_int {
    let methods = sqlite::sqlite3_mem_methods {
        xMalloc: Some(sqlite_malloc),
        xFree: Some(sqlite_free),
        xRealloc: Some(sqlite_realloc),
        xSize: Some(sqlite_size),
        xRoundup: Some(sqlite_roundup),
        xInit: Some(sqlite_init),
        xShutdown: Some(sqlite_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: `SQLITE_CONFIG_MALLOC` takes one pointer to a `sqlite3_mem_methods`, which SQLite
    // copies before returning; every function given is safe to call from any thread with the
    // arguments SQLite passes (mimalloc is thread-safe). The caller ensures that no other
    // thread uses SQLite meanwhile.
    unsafe {
        sqlite::sqlite3_config(
            sqlite::SQLITE_CONFIG_MALLOC,
            &methods as *const sqlite::sqlite3_mem_methods,
        )
    }
}

/// A size from SQLite (an `int`, never negative in practice) as mimalloc's.
fn size_from(n: c_int) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// A size from mimalloc as SQLite's `int` (SQLite never asks 2 GiB in one block).
fn size_to(n: usize) -> c_int {
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn sqlite_malloc(n: c_int) -> *mut c_void {
    // SAFETY: any size is valid (0 gives a unique pointer); blocks are aligned to at least 8
    // bytes, as SQLite requires.
    unsafe { mi::mi_malloc(size_from(n)) }
}

unsafe extern "C" fn sqlite_free(p: *mut c_void) {
    // SAFETY: `p` was given by `sqlite_malloc` or `sqlite_realloc`, or is null.
    unsafe { mi::mi_free(p) }
}

unsafe extern "C" fn sqlite_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    // SAFETY: as `sqlite_free`; mimalloc keeps the block's content up to the smaller size.
    unsafe { mi::mi_realloc(p, size_from(n)) }
}

unsafe extern "C" fn sqlite_size(p: *mut c_void) -> c_int {
    // SAFETY: `p` is a live block of mimalloc; its usable size is what SQLite may use.
    size_to(unsafe { mi::mi_usable_size(p) })
}

unsafe extern "C" fn sqlite_roundup(n: c_int) -> c_int {
    // SAFETY: a pure function of the size.
    size_to(unsafe { mi::mi_good_size(size_from(n)) })
}

unsafe extern "C" fn sqlite_init(_: *mut c_void) -> c_int {
    sqlite::SQLITE_OK
}

unsafe extern "C" fn sqlite_shutdown(_: *mut c_void) {}

#[cfg(test)]
mod tests {
    /// Once asked, the process is without transparent huge pages (a flag the system keeps,
    /// read back with `PR_GET_THP_DISABLE`).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_process_is_without_huge_pages_once_asked() {
        super::without_huge_pages().expect("prctl");
        // SAFETY: `PR_GET_THP_DISABLE` returns the process's flag; it reads no memory of ours.
        let flag = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(flag, 1);
    }

    /// The option set by [`super::give_memory_back_at_once`] is mimalloc's purge delay: the one
    /// whose default is 1,000 ms (the next mimalloc may renumber its options).
    #[test]
    fn the_option_set_is_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads a number from mimalloc's table of options.
        let default = unsafe { super::mi::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1_000);
        super::give_memory_back_at_once();
        // SAFETY: as above.
        let now = unsafe { super::mi::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(now, 0);
    }

    /// SQLite, configured before its first use, allocates through mimalloc: the memory it
    /// says it holds is in blocks that mimalloc knows, grown and freed by it. This test must
    /// stay the only user of SQLite among this binary's unit tests (tests run on parallel
    /// threads, and `sqlite3_config` must not run beside another use of SQLite).
    #[test]
    fn sqlite_allocates_through_mimalloc() {
        use super::sqlite;
        // SAFETY: no other test of this binary uses SQLite.
        let code = unsafe { super::sqlite_allocates_with_mimalloc() };
        assert_eq!(code, sqlite::SQLITE_OK, "SQLite déjà initialisé");
        // SAFETY: SQLite's own allocation functions, used as documented: a block taken, its
        // size asked of SQLite and of mimalloc, grown, then freed.
        unsafe {
            let block = sqlite::sqlite3_malloc(1000);
            assert!(!block.is_null());
            assert!(
                super::mi::mi_is_in_heap_region(block),
                "bloc hors de mimalloc"
            );
            assert_eq!(
                sqlite::sqlite3_msize(block),
                super::mi::mi_usable_size(block) as u64
            );
            let grown = sqlite::sqlite3_realloc(block, 100_000);
            assert!(!grown.is_null());
            assert!(
                super::mi::mi_is_in_heap_region(grown),
                "bloc hors de mimalloc"
            );
            assert!(sqlite::sqlite3_msize(grown) >= 100_000);
            sqlite::sqlite3_free(grown);
        }
    }
}
