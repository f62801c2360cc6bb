/*
 * parse_printers.c -- micro-benchmark of the Bambu normaliser
 * (parse/bambu.c): reports per second of CPU time for merge + state on
 * X1-style full reports and on P1-style partial reports, and for merge
 * alone.  Built and run by bench/parse.sh; prints Markdown rows for
 * docs/performance.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "parse/bambu.h"
#include "parse/printer.h"

/* A full X1C report as the printer sends it, unknown keys included. */
static const char x1_full[] =
    "{\"print\":{\"ipcam\":{\"ipcam_dev\":\"1\",\"ipcam_record\":\"enable\","
    "\"timelapse\":\"disable\",\"resolution\":\"1080p\",\"tutk_server\":"
    "\"disable\",\"mode_bits\":3},\"upload\":{\"status\":\"idle\","
    "\"progress\":0,\"message\":\"\"},\"net\":{\"conf\":16,\"info\":[{"
    "\"ip\":1795270848,\"mask\":16777215},{\"ip\":0,\"mask\":0}]},"
    "\"nozzle_temper\":219.6,\"nozzle_target_temper\":220,"
    "\"bed_temper\":54.9,\"bed_target_temper\":55,\"chamber_temper\":34,"
    "\"mc_print_stage\":\"2\",\"heatbreak_fan_speed\":\"15\","
    "\"cooling_fan_speed\":\"15\",\"big_fan1_speed\":\"0\","
    "\"big_fan2_speed\":\"0\",\"mc_percent\":42,\"mc_remaining_time\":73,"
    "\"ams_status\":768,\"ams_rfid_status\":6,\"hw_switch_state\":1,"
    "\"spd_mag\":100,\"spd_lvl\":2,\"print_error\":0,\"lifecycle\":"
    "\"product\",\"wifi_signal\":\"-45dBm\",\"gcode_state\":\"RUNNING\","
    "\"gcode_file_prepare_percent\":\"100\",\"queue_number\":0,"
    "\"queue_total\":0,\"queue_est\":0,\"queue_sts\":0,\"project_id\":"
    "\"0\",\"profile_id\":\"0\",\"task_id\":\"0\",\"subtask_id\":\"0\","
    "\"subtask_name\":\"gear_box_v3\",\"gcode_file\":"
    "\"/data/Metadata/plate_1.gcode\",\"stg\":[2,14,1,8],\"stg_cur\":0,"
    "\"print_type\":\"local\",\"home_flag\":6145,\"mc_print_line_number\":"
    "\"48211\",\"mc_print_sub_stage\":0,\"sdcard\":true,\"force_upgrade\":"
    "false,\"mess_production_state\":\"active\",\"layer_num\":57,"
    "\"total_layer_num\":210,\"s_obj\":[],\"filam_bak\":[],\"fan_gear\":"
    "49407,\"nozzle_diameter\":\"0.4\",\"nozzle_type\":\"hardened_steel\","
    "\"hms\":[{\"attr\":50331904,\"code\":131073}],\"fun\":\"1000E0F\","
    "\"online\":{\"ahb\":true,\"rfid\":false,\"version\":7},"
    "\"ams\":{\"ams\":["
    "{\"id\":\"0\",\"humidity\":\"4\",\"temp\":\"24.1\",\"tray\":["
    "{\"id\":\"0\",\"remain\":87,\"k\":0.02,\"n\":1.4,\"tag_uid\":"
    "\"A1B2C3D4E5F60708\",\"tray_id_name\":\"A00-W1\",\"tray_info_idx\":"
    "\"GFA00\",\"tray_type\":\"PLA\",\"tray_sub_brands\":\"PLA Basic\","
    "\"tray_color\":\"FF6A13FF\",\"tray_weight\":\"1000\","
    "\"tray_diameter\":\"1.75\",\"tray_temp\":\"55\",\"tray_time\":\"8\","
    "\"bed_temp_type\":\"1\",\"bed_temp\":\"35\",\"nozzle_temp_max\":"
    "\"230\",\"nozzle_temp_min\":\"190\",\"xcam_info\":"
    "\"AC0DAC0DE803E8039A99193F\",\"tray_uuid\":"
    "\"5A2D8E1F00000000000000000000AB12\",\"cols\":[\"FF6A13FF\"]},"
    "{\"id\":\"1\",\"remain\":-1,\"tray_type\":\"PETG\",\"tray_color\":"
    "\"000000FF\",\"tag_uid\":\"0000000000000000\",\"tray_info_idx\":"
    "\"GFG99\",\"nozzle_temp_max\":\"270\",\"nozzle_temp_min\":\"220\"},"
    "{\"id\":\"2\"},"
    "{\"id\":\"3\",\"remain\":12,\"tray_type\":\"PLA-CF\",\"tray_color\":"
    "\"2850E0FF\",\"tag_uid\":\"0000000000000000\"}]},"
    "{\"id\":\"1\",\"humidity\":\"3\",\"temp\":\"23.5\",\"tray\":["
    "{\"id\":\"0\",\"remain\":100,\"tray_type\":\"ABS\",\"tray_color\":"
    "\"FFFFFFFF\"},{\"id\":\"1\",\"remain\":55,\"tray_type\":\"TPU\","
    "\"tray_color\":\"00AE42FF\"},{\"id\":\"2\"},{\"id\":\"3\"}]}],"
    "\"ams_exist_bits\":\"3\",\"tray_exist_bits\":\"3b\","
    "\"tray_is_bbl_bits\":\"1\",\"tray_tar\":\"5\",\"tray_now\":\"5\","
    "\"tray_pre\":\"5\",\"tray_read_done_bits\":\"3b\","
    "\"tray_reading_bits\":\"0\",\"version\":12,\"insert_flag\":true,"
    "\"power_on_flag\":false},"
    "\"vt_tray\":{\"id\":\"254\",\"tag_uid\":\"0000000000000000\","
    "\"tray_type\":\"PETG\",\"tray_color\":\"F5F5DCFF\",\"remain\":0},"
    "\"lights_report\":[{\"node\":\"chamber_light\",\"mode\":\"on\"},"
    "{\"node\":\"work_light\",\"mode\":\"flashing\"}],"
    "\"upgrade_state\":{\"sequence_id\":0,\"progress\":\"\",\"status\":"
    "\"\",\"consistency_request\":false,\"dis_state\":0,\"err_code\":0,"
    "\"force_upgrade\":false,\"message\":\"\",\"module\":\"\","
    "\"new_version_state\":2,\"new_ver_list\":[]},"
    "\"xcam\":{\"allow_skip_parts\":false,\"buildplate_marker_detector\":"
    "true,\"first_layer_inspector\":true,\"halt_print_sensitivity\":"
    "\"medium\",\"print_halt\":true,\"printing_monitor\":true,"
    "\"spaghetti_detector\":true},"
    "\"command\":\"push_status\",\"msg\":0,\"sequence_id\":\"2021\"}}";

/* What a P1S sends while printing: only what changed. */
static const char *const p1_partials[] = {
	"{\"print\":{\"nozzle_temper\":219.8,\"bed_temper\":55.1,"
	"\"command\":\"push_status\",\"msg\":1,\"sequence_id\":\"301\"}}",
	"{\"print\":{\"mc_percent\":43,\"mc_remaining_time\":71,"
	"\"command\":\"push_status\",\"msg\":1,\"sequence_id\":\"302\"}}",
	"{\"print\":{\"layer_num\":58,\"cooling_fan_speed\":\"13\","
	"\"command\":\"push_status\",\"msg\":1,\"sequence_id\":\"303\"}}",
	"{\"print\":{\"wifi_signal\":\"-47dBm\",\"command\":\"push_status\","
	"\"msg\":1,\"sequence_id\":\"304\"}}",
	"{\"print\":{\"ams\":{\"ams\":[{\"id\":\"1\",\"humidity\":\"3\","
	"\"temp\":\"23.9\",\"tray\":[{\"id\":\"1\",\"remain\":54}]}],"
	"\"tray_now\":\"5\"},\"command\":\"push_status\",\"msg\":1,"
	"\"sequence_id\":\"305\"}}",
};

/*
 * CPU time of the process, not wall time: the machine is shared, and a
 * report costs CPU whatever else runs.
 */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes v as two digits over the two after key in buf. */
static void
vary(char *buf, const char *key, int v)
{
	char	*p;

	if ((p = strstr(buf, key)) == NULL)
		abort();
	p += strlen(key);
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* Runs n reports (from msgs, in turn); returns reports per second. */
static double
run(const char *const *msgs, size_t nmsgs, long n, int with_state)
{
	struct bambu_cache	c;
	struct printer_state	st;
	size_t			len[16];
	double			t0, t;
	long			i;
	size_t			k;

	for (k = 0; k < nmsgs; k++)
		len[k] = strlen(msgs[k]);
	bambu_cache_init(&c);
	if (bambu_merge(&c, x1_full, strlen(x1_full), NULL) != 0)
		abort();
	t0 = now();
	for (i = 0; i < n; i++) {
		k = (size_t)i % nmsgs;
		if (bambu_merge(&c, msgs[k], len[k], NULL) != 0)
			abort();
		if (with_state)
			bambu_state(&c, &st);
	}
	t = now() - t0;
	if (with_state && st.nslots != 9)
		abort();
	bambu_cache_free(&c);
	return (double)n / t;
}

/*
 * Ten X1 reports as a printing X1 sends them, one a second: progress,
 * layer and bed temperature change in every one; the AMS (remain of a
 * tray) in every report when ams_every is 1, else in 2 of 10.
 */
static void
x1_series(char bufs[10][sizeof(x1_full)], const char *msgs[10],
    int ams_every)
{
	int	i;

	for (i = 0; i < 10; i++) {
		memcpy(bufs[i], x1_full, sizeof(x1_full));
		vary(bufs[i], "\"mc_percent\":", 40 + i);
		vary(bufs[i], "\"layer_num\":", 50 + i);
		vary(bufs[i], "\"bed_temper\":", 50 + i);
		vary(bufs[i], "\"remain\":", ams_every == 1 ? 80 + i :
		    i == 9 ? 86 : 87);
		msgs[i] = bufs[i];
	}
}

int
main(int argc, char **argv)
{
	static char	 bufs[10][sizeof(x1_full)];
	const char	*msgs[10];
	long		 n;

	n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	if (n <= 0)
		n = 200000;
	printf("| reports | bytes | merge + state, reports per CPU second | "
	    "merge only, reports per CPU second |\n|---|---|---|---|\n");
	x1_series(bufs, msgs, 10);
	printf("| X1 full reports, AMS changed in 2 of 10 | %zu | %.0f | "
	    "%.0f |\n", strlen(x1_full), run(msgs, 10, n / 4, 1),
	    run(msgs, 10, n / 4, 0));
	x1_series(bufs, msgs, 1);
	printf("| X1 full reports, AMS changed in every one | %zu | %.0f | "
	    "%.0f |\n", strlen(x1_full), run(msgs, 10, n / 4, 1),
	    run(msgs, 10, n / 4, 0));
	printf("| P1 partial reports (5 kinds in turn) | %zu-%zu | %.0f | "
	    "%.0f |\n", strlen(p1_partials[3]), strlen(p1_partials[4]),
	    run(p1_partials, 5, n, 1), run(p1_partials, 5, n, 0));
	return 0;
}
