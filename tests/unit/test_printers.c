/*
 * test_printers.c -- the printer normalisers: Bambu reports merged and
 * normalised (parse/bambu.c), PrusaLink, OctoPrint and Moonraker bodies
 * (parse/prusalink.c, octoprint.c, moonraker.c), the state and its
 * helpers (parse/printer.c).  Every payload is written here, shaped like
 * what the printers send.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "core/err.h"
#include "domain/runs.h"
#include "parse/bambu.h"
#include "parse/printer.h"
#include "parse/printers.h"

static struct bambu_cache	c;
static struct printer_state	st;
static struct err		e;

static void
setup(void)
{
	bambu_cache_init(&c);
	memset(&e, 0, sizeof(e));
}

static void
teardown(void)
{
	bambu_cache_free(&c);
	err_clear(&e);
}

static int
merge(const char *s)
{
	err_clear(&e);
	return bambu_merge(&c, s, strlen(s), &e);
}

static int
prusa(const char *status, const char *job)
{
	err_clear(&e);
	return prusalink_state(status, strlen(status), job, job != NULL ?
	    strlen(job) : 0, &st, &e);
}

static int
octo(const char *printer, const char *job)
{
	err_clear(&e);
	return octoprint_state(printer, printer != NULL ? strlen(printer) : 0,
	    job, job != NULL ? strlen(job) : 0, &st, &e);
}

static int
moon(const char *body)
{
	err_clear(&e);
	return moonraker_state(body, strlen(body), &st, &e);
}

/* An X1C report: the whole state, two AMS units, an external spool. */
static const char x1_full[] =
    "{\"print\":{\"command\":\"push_status\",\"msg\":0,\"sequence_id\":"
    "\"2021\",\"gcode_state\":\"RUNNING\",\"mc_percent\":42,"
    "\"mc_remaining_time\":73,\"layer_num\":57,\"total_layer_num\":210,"
    "\"nozzle_temper\":219.6,\"nozzle_target_temper\":220,"
    "\"bed_temper\":54.9,\"bed_target_temper\":55,\"chamber_temper\":34,"
    "\"subtask_name\":\"gear_box_v3\",\"gcode_file\":"
    "\"/data/Metadata/plate_1.gcode\",\"gcode_file_prepare_percent\":"
    "\"100\",\"gcode_start_time\":\"1763712000\",\"print_error\":0,"
    "\"hms\":[],\"cooling_fan_speed\":\"15\",\"big_fan1_speed\":\"0\","
    "\"big_fan2_speed\":\"0\",\"heatbreak_fan_speed\":\"15\","
    "\"spd_lvl\":2,\"spd_mag\":100,\"stg\":[2,14,1],\"stg_cur\":0,"
    "\"print_type\":\"local\",\"wifi_signal\":\"-45dBm\","
    "\"home_flag\":6145,\"sdcard\":true,\"fun\":\"1000E0F\","
    "\"project_id\":\"0\",\"task_id\":\"0\",\"subtask_id\":\"0\","
    "\"ams\":{\"ams\":["
    "{\"id\":\"0\",\"humidity\":\"4\",\"temp\":\"24.1\",\"tray\":["
    "{\"id\":\"0\",\"tray_type\":\"PLA\",\"tray_color\":\"FF6A13FF\","
    "\"cols\":[\"FF6A13FF\"],\"tray_info_idx\":\"GFA00\","
    "\"tray_weight\":\"1000\",\"tray_diameter\":\"1.75\",\"remain\":87,"
    "\"tag_uid\":\"A1B2C3D4E5F60708\",\"tray_uuid\":"
    "\"5A2D8E1F00000000000000000000AB12\",\"nozzle_temp_min\":\"190\","
    "\"nozzle_temp_max\":\"230\",\"k\":0.02,\"n\":1.4},"
    "{\"id\":\"1\",\"tray_type\":\"PETG\",\"tray_color\":\"000000FF\","
    "\"remain\":-1,\"tag_uid\":\"0000000000000000\"},"
    "{\"id\":\"2\"},"
    "{\"id\":\"3\",\"tray_type\":\"PLA-CF\",\"tray_color\":\"2850e0ff\","
    "\"remain\":12,\"tag_uid\":\"0000000000000000\"}]},"
    "{\"id\":\"1\",\"humidity\":\"3\",\"temp\":\"23.5\",\"tray\":["
    "{\"id\":\"0\",\"tray_type\":\"ABS\",\"tray_color\":\"FFFFFFFF\","
    "\"remain\":100},"
    "{\"id\":\"1\",\"tray_type\":\"TPU\",\"tray_color\":\"00AE42FF\","
    "\"remain\":55},{\"id\":\"2\"},{\"id\":\"3\"}]}],"
    "\"ams_exist_bits\":\"3\",\"tray_exist_bits\":\"3b\","
    "\"tray_is_bbl_bits\":\"1\",\"tray_now\":\"5\",\"tray_pre\":\"5\","
    "\"tray_tar\":\"5\",\"version\":12,\"insert_flag\":true,"
    "\"power_on_flag\":false},"
    "\"vt_tray\":{\"id\":\"254\",\"tray_type\":\"PETG\",\"tray_color\":"
    "\"F5F5DCFF\",\"remain\":0,\"tag_uid\":\"0000000000000000\"},"
    "\"lights_report\":[{\"node\":\"chamber_light\",\"mode\":\"on\"}],"
    "\"ipcam\":{\"ipcam_dev\":\"1\",\"timelapse\":\"disable\"},"
    "\"upgrade_state\":{\"status\":\"IDLE\"},"
    "\"online\":{\"ahb\":false,\"rfid\":false}}}";

START_TEST(init_is_unknown_and_offline)
{
	printer_state_init(&st);
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);
	ck_assert(isnan(st.progress) && isnan(st.nozzle_c) &&
	    isnan(st.chamber_c));
	ck_assert_int_eq(st.layer, -1);
	ck_assert_int_eq(st.remaining_s, -1);
	ck_assert_int_eq(st.fan_pct, -1);
	ck_assert_int_eq(st.control_ok, -1);
	ck_assert_int_eq(st.nslots, 0);
	ck_assert_str_eq(st.job, "");
	ck_assert_str_eq(printer_status_name(PRINTER_OFFLINE), "offline");
	ck_assert_str_eq(printer_status_name(PRINTER_IDLE), "idle");
	ck_assert_str_eq(printer_status_name(PRINTER_PREPARING),
	    "preparing");
	ck_assert_str_eq(printer_status_name(PRINTER_PRINTING), "printing");
	ck_assert_str_eq(printer_status_name(PRINTER_PAUSED), "paused");
	ck_assert_str_eq(printer_status_name(PRINTER_FINISHED), "finished");
	ck_assert_str_eq(printer_status_name(PRINTER_FAILED), "failed");
	ck_assert_str_eq(printer_status_name(PRINTER_ERROR), "error");
	ck_assert_ptr_null(printer_status_name((enum printer_status)42));
}
END_TEST

START_TEST(bambu_x1_full_report_maps_every_field)
{
	ck_assert_int_eq(merge(x1_full), 0);
	ck_assert_uint_eq(c.reports, 1);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	ck_assert_str_eq(st.job, "gear_box_v3");
	ck_assert_double_eq(st.progress, 42);
	ck_assert_int_eq(st.remaining_s, 73 * 60);
	ck_assert_int_eq(st.layer, 57);
	ck_assert_int_eq(st.total_layers, 210);
	ck_assert_double_eq_tol(st.nozzle_c, 219.6, 1e-9);
	ck_assert_double_eq(st.nozzle_target_c, 220);
	ck_assert_double_eq_tol(st.bed_c, 54.9, 1e-9);
	ck_assert_double_eq(st.bed_target_c, 55);
	ck_assert_double_eq(st.chamber_c, 34);
	ck_assert_int_eq(st.fan_pct, 100);
	ck_assert_int_eq(st.speed_pct, 100);
	ck_assert_int_eq(st.control_ok, 1);
	ck_assert_int_eq(st.nerrors, 0);
	/* Two AMS units: slots 1-8; the external spool last, 9. */
	ck_assert_int_eq(st.nslots, 9);
	ck_assert_int_eq(st.slots[0].slot, 1);
	ck_assert_str_eq(st.slots[0].type, "PLA");
	ck_assert_str_eq(st.slots[0].color, "#FF6A13");
	ck_assert_int_eq(st.slots[0].remaining_pct, 87);
	ck_assert_str_eq(st.slots[0].tag_uid, "A1B2C3D4E5F60708");
	ck_assert_int_eq(st.slots[0].active, 0);
	ck_assert_str_eq(st.slots[1].type, "PETG");
	ck_assert_str_eq(st.slots[1].color, "#000000");
	ck_assert_int_eq(st.slots[1].remaining_pct, -1);
	ck_assert_str_eq(st.slots[1].tag_uid, "");
	ck_assert_int_eq(st.slots[2].slot, 3);
	ck_assert_str_eq(st.slots[2].type, "");
	ck_assert_str_eq(st.slots[2].color, "");
	ck_assert_int_eq(st.slots[2].remaining_pct, -1);
	ck_assert_str_eq(st.slots[3].color, "#2850E0");
	ck_assert_int_eq(st.slots[3].remaining_pct, 12);
	ck_assert_int_eq(st.slots[4].slot, 5);
	ck_assert_str_eq(st.slots[4].type, "ABS");
	ck_assert_int_eq(st.slots[5].slot, 6);
	ck_assert_str_eq(st.slots[5].type, "TPU");
	ck_assert_int_eq(st.slots[5].active, 1);	/* tray_now 5 */
	ck_assert_int_eq(st.slots[7].slot, 8);
	ck_assert_int_eq(st.slots[8].slot, 9);
	ck_assert_str_eq(st.slots[8].type, "PETG");
	ck_assert_str_eq(st.slots[8].color, "#F5F5DC");
	ck_assert_int_eq(st.slots[8].remaining_pct, 0);
	ck_assert_int_eq(st.slots[8].active, 0);
}
END_TEST

START_TEST(bambu_p1_partial_reports_merge_over_messages)
{
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"PREPARE\","
	    "\"mc_percent\":0,\"mc_remaining_time\":95,\"layer_num\":0,"
	    "\"total_layer_num\":150,\"nozzle_temper\":25,"
	    "\"nozzle_target_temper\":0,\"bed_temper\":24,"
	    "\"bed_target_temper\":0,\"chamber_temper\":5,"
	    "\"subtask_name\":\"clip_x20\",\"gcode_file\":"
	    "\"clip_x20.gcode.3mf\",\"cooling_fan_speed\":\"0\","
	    "\"spd_lvl\":2,\"spd_mag\":100,\"fun\":\"0\",\"hms\":[],"
	    "\"print_error\":0,\"ams\":{\"ams\":[{\"id\":\"0\",\"tray\":["
	    "{\"id\":\"0\",\"tray_type\":\"PLA\",\"tray_color\":\"FFFFFFFF\","
	    "\"remain\":80},{\"id\":\"1\",\"tray_type\":\"PLA\","
	    "\"tray_color\":\"000000FF\",\"remain\":40},{\"id\":\"2\"},"
	    "{\"id\":\"3\"}]}],\"ams_exist_bits\":\"1\",\"tray_now\":\"255\"},"
	    "\"command\":\"push_status\",\"msg\":0,\"sequence_id\":\"1\"}}"),
	    0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_PREPARING);
	ck_assert_int_eq(st.nslots, 4);
	ck_assert_int_eq(st.slots[0].active + st.slots[1].active, 0);

	/* Only the targets changed. */
	ck_assert_int_eq(merge("{\"print\":{\"bed_target_temper\":65,"
	    "\"nozzle_target_temper\":220,\"command\":\"push_status\","
	    "\"msg\":1,\"sequence_id\":\"2\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_PREPARING);
	ck_assert_double_eq(st.bed_target_c, 65);
	ck_assert_double_eq(st.nozzle_target_c, 220);
	ck_assert_double_eq(st.bed_c, 24);
	ck_assert_double_eq(st.nozzle_c, 25);
	ck_assert_str_eq(st.job, "clip_x20");
	ck_assert_int_eq(st.total_layers, 150);

	/* Printing; one tray's remain changes and it is loaded. */
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"RUNNING\","
	    "\"mc_percent\":10,\"layer_num\":15,\"mc_remaining_time\":80,"
	    "\"cooling_fan_speed\":\"10\",\"command\":\"push_status\","
	    "\"msg\":1,\"sequence_id\":\"3\",\"ams\":{\"tray_now\":\"1\","
	    "\"ams\":[{\"id\":\"0\",\"tray\":[{\"id\":\"1\",\"remain\":38}]}]"
	    "}}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	ck_assert_double_eq(st.progress, 10);
	ck_assert_int_eq(st.layer, 15);
	ck_assert_int_eq(st.total_layers, 150);
	ck_assert_int_eq(st.remaining_s, 4800);
	ck_assert_int_eq(st.fan_pct, 67);
	ck_assert_int_eq(st.nslots, 4);
	ck_assert_str_eq(st.slots[0].type, "PLA");
	ck_assert_int_eq(st.slots[0].remaining_pct, 80);
	ck_assert_int_eq(st.slots[0].active, 0);
	ck_assert_str_eq(st.slots[1].type, "PLA");
	ck_assert_str_eq(st.slots[1].color, "#000000");
	ck_assert_int_eq(st.slots[1].remaining_pct, 38);
	ck_assert_int_eq(st.slots[1].active, 1);

	/* A tray sent with only its id has been emptied. */
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"ams\":[{\"id\":\"0\","
	    "\"tray\":[{\"id\":\"0\"}]}]},\"command\":\"push_status\","
	    "\"msg\":1,\"sequence_id\":\"4\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_str_eq(st.slots[0].type, "");
	ck_assert_int_eq(st.slots[0].remaining_pct, -1);
	ck_assert_int_eq(st.slots[1].remaining_pct, 38);

	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"FINISH\","
	    "\"mc_percent\":100,\"mc_remaining_time\":0,\"layer_num\":150,"
	    "\"command\":\"push_status\",\"msg\":1,\"sequence_id\":\"5\"}}"),
	    0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_FINISHED);
	ck_assert_double_eq(st.progress, 100);
	ck_assert_int_eq(st.remaining_s, 0);
	ck_assert_int_eq(st.layer, 150);
	ck_assert_double_eq(st.bed_target_c, 65);
	ck_assert_int_eq(st.control_ok, 1);
	ck_assert_uint_eq(c.reports, 5);
}
END_TEST

START_TEST(bambu_gcode_states_map_to_statuses)
{
	static const struct {
		const char		*gcode;
		enum printer_status	 want;
	} t[] = {
		{ "IDLE", PRINTER_IDLE }, { "PREPARE", PRINTER_PREPARING },
		{ "SLICING", PRINTER_PREPARING }, { "INIT", PRINTER_PREPARING },
		{ "RUNNING", PRINTER_PRINTING }, { "PAUSE", PRINTER_PAUSED },
		{ "FINISH", PRINTER_FINISHED }, { "FAILED", PRINTER_FAILED },
		{ "running", PRINTER_PRINTING }, { "", PRINTER_IDLE },
		{ "SOMETHING_NEW", PRINTER_IDLE },
	};
	char	buf[128];
	size_t	i;

	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);	/* nothing yet */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"print\":{\"gcode_state\":"
		    "\"%s\",\"command\":\"push_status\"}}", t[i].gcode);
		ck_assert_int_eq(merge(buf), 0);
		bambu_state(&c, &st);
		ck_assert_msg(st.status == t[i].want, "%s gave %s", t[i].gcode,
		    printer_status_name(st.status));
	}
}
END_TEST

START_TEST(bambu_string_numbers_are_read)
{
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"RUNNING\","
	    "\"mc_percent\":\"55\",\"mc_remaining_time\":\"12\","
	    "\"layer_num\":\"7\",\"total_layer_num\":\"90\","
	    "\"nozzle_temper\":\"210.50\",\"nozzle_target_temper\":\"210\","
	    "\"bed_temper\":\"60\",\"bed_target_temper\":\"60\","
	    "\"cooling_fan_speed\":\"6\",\"spd_lvl\":\"4\","
	    "\"print_error\":\"0\",\"ams\":{\"tray_now\":\"254\"},"
	    "\"vt_tray\":{\"id\":\"254\",\"tray_type\":\"PETG\","
	    "\"tray_color\":\"00FF00FF\",\"remain\":\"30\"}}}"), 0);
	bambu_state(&c, &st);
	ck_assert_double_eq(st.progress, 55);
	ck_assert_int_eq(st.remaining_s, 720);
	ck_assert_int_eq(st.layer, 7);
	ck_assert_int_eq(st.total_layers, 90);
	ck_assert_double_eq_tol(st.nozzle_c, 210.5, 1e-9);
	ck_assert_int_eq(st.fan_pct, 40);
	ck_assert_int_eq(st.speed_pct, 166);	/* ludicrous */
	ck_assert_int_eq(st.nerrors, 0);
	/* No AMS: the external spool is slot 1, and it is loaded. */
	ck_assert_int_eq(st.nslots, 1);
	ck_assert_int_eq(st.slots[0].slot, 1);
	ck_assert_int_eq(st.slots[0].active, 1);
	ck_assert_int_eq(st.slots[0].remaining_pct, 30);
	ck_assert_str_eq(st.slots[0].color, "#00FF00");
}
END_TEST

START_TEST(bambu_speed_levels_and_fun_bit)
{
	static const int	want[] = { 50, 100, 124, 166 };
	char			buf[128];
	int			i;

	for (i = 1; i <= 4; i++) {
		snprintf(buf, sizeof(buf), "{\"print\":{\"spd_lvl\":%d}}", i);
		ck_assert_int_eq(merge(buf), 0);
		bambu_state(&c, &st);
		ck_assert_int_eq(st.speed_pct, want[i - 1]);
	}
	/* spd_mag, the percentage itself, wins when sent. */
	ck_assert_int_eq(merge("{\"print\":{\"spd_lvl\":3,\"spd_mag\":130}}"),
	    0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.speed_pct, 130);
	/* 0x20000000 set: commands need a signature, no control. */
	ck_assert_int_eq(merge("{\"print\":{\"fun\":\"3EC1AFFF9CFF\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.control_ok, 0);
	ck_assert_int_eq(merge("{\"print\":{\"fun\":\"20000000\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.control_ok, 0);
	ck_assert_int_eq(merge("{\"print\":{\"fun\":\"1FFFFFFF\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.control_ok, 1);
	ck_assert_int_eq(merge("{\"print\":{\"fun\":\"not hex\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.control_ok, -1);
}
END_TEST

START_TEST(bambu_hms_codes_are_formatted_and_described)
{
	/* attr 0x03000100 code 0x00010007; AMS 2 slot 2 runout; unknown. */
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"RUNNING\","
	    "\"hms\":[{\"attr\":50331904,\"code\":65543},"
	    "{\"attr\":117514496,\"code\":131073},"
	    "{\"attr\":\"201326848\",\"code\":\"196614\"},"
	    "{\"attr\":\"bad\",\"code\":1},{\"code\":1},7]}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.nerrors, 3);
	ck_assert_str_eq(st.errors[0].code, "0300_0100_0001_0007");
	ck_assert_ptr_nonnull(strstr(st.errors[0].text, "Heatbed"));
	ck_assert_str_eq(st.errors[1].code, "0701_2100_0002_0001");
	ck_assert_str_eq(st.errors[1].text,
	    "AMS 2 slot 2: the filament ran out");
	ck_assert_str_eq(st.errors[2].code, "0C00_0100_0003_0006");
	ck_assert_ptr_nonnull(strstr(st.errors[2].text, "XCam"));
	ck_assert_ptr_nonnull(strstr(st.errors[2].text, "common"));
	/* A fatal alert puts the printer in error even while printing. */
	ck_assert_int_eq(st.status, PRINTER_ERROR);

	/* An empty array clears the alerts. */
	ck_assert_int_eq(merge("{\"print\":{\"hms\":[]}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.nerrors, 0);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);

	/* A serious alert while paused: it waits for someone. */
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"PAUSE\","
	    "\"hms\":[{\"attr\":117448704,\"code\":131073}]}}"), 0);
	bambu_state(&c, &st);
	ck_assert_str_eq(st.errors[0].code, "0700_2000_0002_0001");
	ck_assert_str_eq(st.errors[0].text,
	    "AMS 1 slot 1: the filament ran out");
	ck_assert_int_eq(st.status, PRINTER_ERROR);
}
END_TEST

START_TEST(bambu_print_error_and_cancel)
{
	char	text[160];

	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"PAUSE\","
	    "\"print_error\":117473286}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.nerrors, 1);
	ck_assert_str_eq(st.errors[0].code, "0700_8006");
	ck_assert_int_eq(st.status, PRINTER_ERROR);
	/* The cancel code is not an error; the job failed. */
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"FAILED\","
	    "\"print_error\":50348044}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.nerrors, 0);
	ck_assert_int_eq(st.status, PRINTER_FAILED);
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"PAUSE\","
	    "\"print_error\":0}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_PAUSED);
	bambu_hms_text(0x07ff2000UL, 0x00020001UL, text, sizeof(text));
	ck_assert_str_eq(text, "External spool: the filament ran out");
	bambu_hms_text(0x12000000UL, 0x00090001UL, text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "Printer: alert"));
}
END_TEST

START_TEST(bambu_newer_firmware_packed_temperatures_win)
{
	/* Extruder 1 active (state 0x12): 250 of 260; bed 90 of 100. */
	ck_assert_int_eq(merge("{\"print\":{\"nozzle_temper\":30,"
	    "\"bed_temper\":25,\"device\":{\"extruder\":{\"state\":18,"
	    "\"info\":[{\"id\":0,\"temp\":13107400},{\"id\":1,"
	    "\"temp\":17039610}]},\"bed\":{\"info\":{\"temp\":6553690}},"
	    "\"ctc\":{\"info\":{\"temp\":45}}}}}"), 0);
	bambu_state(&c, &st);
	ck_assert_double_eq(st.nozzle_c, 250);
	ck_assert_double_eq(st.nozzle_target_c, 260);
	ck_assert_double_eq(st.bed_c, 90);
	ck_assert_double_eq(st.bed_target_c, 100);
	ck_assert_double_eq(st.chamber_c, 45);
	/* A partial update of one extruder keeps the other. */
	ck_assert_int_eq(merge("{\"print\":{\"device\":{\"extruder\":{"
	    "\"info\":[{\"id\":1,\"temp\":17039615}]}}}}"), 0);
	bambu_state(&c, &st);
	ck_assert_double_eq(st.nozzle_c, 255);
	ck_assert_double_eq(st.bed_c, 90);
}
END_TEST

START_TEST(bambu_other_messages_leave_the_cache)
{
	ck_assert_int_eq(merge(x1_full), 0);
	ck_assert_int_eq(merge("{\"print\":{\"command\":\"pause\","
	    "\"sequence_id\":\"7\",\"result\":\"success\",\"gcode_state\":"
	    "\"PAUSE\"}}"), 0);
	ck_assert_int_eq(merge("{\"info\":{\"command\":\"get_version\","
	    "\"sequence_id\":\"0\",\"module\":[]}}"), 0);
	ck_assert_int_eq(merge("{\"system\":{\"command\":\"ledctrl\"}}"), 0);
	ck_assert_int_eq(merge("{}"), 0);
	ck_assert_int_eq(merge(" { \"print\" : 1 , \"print\" : { } } "), 0);
	ck_assert_uint_eq(c.reports, 2);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	/* Unknown keys are not kept. */
	ck_assert_ptr_null(json_object_get(c.print, "wifi_signal"));
	ck_assert_ptr_null(json_object_get(c.print, "ipcam"));
}
END_TEST

/* The slot fed now, or 0. */
static int
active_slot(void)
{
	size_t	i;

	bambu_state(&c, &st);
	for (i = 0; i < st.nslots; i++)
		if (st.slots[i].active)
			return st.slots[i].slot;
	return 0;
}

START_TEST(bambu_unchanged_values_are_skipped_never_lost)
{
	ck_assert_int_eq(merge(x1_full), 0);
	ck_assert_int_eq(active_slot(), 6);
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"tray_now\":\"0\","
	    "\"ams_exist_bits\":\"3\",\"version\":12}}}"), 0);
	ck_assert_int_eq(active_slot(), 1);
	/* The full AMS again differs from the last one sent: merged. */
	ck_assert_int_eq(merge(x1_full), 0);
	ck_assert_int_eq(active_slot(), 6);
	ck_assert_int_eq(merge(x1_full), 0);
	ck_assert_int_eq(active_slot(), 6);
	ck_assert_uint_eq(c.reports, 4);
	/* A short value is not remembered, and forgets the long one. */
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"tray_now\":"
	    "\"1\"}}}"), 0);
	ck_assert_int_eq(active_slot(), 2);
	ck_assert_int_eq(merge(x1_full), 0);
	ck_assert_int_eq(active_slot(), 6);
	/* A key sent twice: the last one counts, as in jansson. */
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"tray_now\":\"3\","
	    "\"ams_exist_bits\":\"3\",\"version\":12},\"ams\":{"
	    "\"tray_now\":\"2\",\"ams_exist_bits\":\"3\",\"version\":12}}}"),
	    0);
	ck_assert_int_eq(active_slot(), 3);
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"tray_now\":\"2\","
	    "\"ams_exist_bits\":\"3\",\"version\":12},\"ams\":{"
	    "\"tray_now\":\"3\",\"ams_exist_bits\":\"3\",\"version\":12}}}"),
	    0);
	ck_assert_int_eq(active_slot(), 4);
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"tray_now\":\"0\","
	    "\"ams_exist_bits\":\"3\",\"version\":12},\"ams\":{"
	    "\"tray_now\":\"3\",\"ams_exist_bits\":\"3\",\"version\":12}}}"),
	    0);
	ck_assert_int_eq(active_slot(), 4);
	/* A refused report and a command reply remember nothing. */
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"tray_now\":\"1\","
	    "\"ams_exist_bits\":\"3\",\"version\":12},\"x\":}}"),
	    ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{\"command\":\"pause\","
	    "\"ams\":{\"tray_now\":\"1\",\"ams_exist_bits\":\"3\","
	    "\"version\":12}}}"), 0);
	ck_assert_int_eq(active_slot(), 4);
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"tray_now\":\"1\","
	    "\"ams_exist_bits\":\"3\",\"version\":12}}}"), 0);
	ck_assert_int_eq(active_slot(), 2);
}
END_TEST

static const char nul_report[] = "{\"print\":{\"mc_percent\":1\0,"
    "\"layer_num\":2}}";

START_TEST(bambu_hostile_reports_are_refused_or_bounded)
{
	static char	big[BAMBU_MAX_BYTES + 2];
	char		buf[256];
	char		*deep;
	size_t		i;

	ck_assert_int_eq(merge(x1_full), 0);
	/* Truncated, not JSON, not an object: refused, cache unchanged. */
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"IDLE\","
	    "\"mc_percent\":"), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "not JSON"));
	ck_assert_int_eq(merge(""), ERR_INVALID);
	ck_assert_int_eq(merge("[1,2]"), ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":[1]}"), ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{\"subtask_name\":"
	    "\"a\\u0000b\"}}"), ERR_INVALID);
	/* Members that are not kept are still checked for syntax. */
	ck_assert_int_eq(merge("{\"print\":{\"ipcam\":{\"a\":tru}}}"),
	    ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{\"net\":[1,]}}"), ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{\"x\":01}}"), ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{\"x\":\"\\q\"}}"),
	    ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{}} x"), ERR_INVALID);
	ck_assert_int_eq(merge("{\"info\":{\"x\":1},}"), ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":\"idle\"}"), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "not an object"));
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"PAUSE\"},"
	    "\"print\":1}"), ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{},}"), ERR_INVALID);
	ck_assert_int_eq(merge("{,}"), ERR_INVALID);
	/* A NUL byte after a number is not JSON (jansson lets it pass). */
	ck_assert_int_eq(bambu_merge(&c, nul_report, sizeof(nul_report) - 1,
	    &e), ERR_INVALID);
	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	ck_assert_int_eq(bambu_merge(&c, big, sizeof(big) - 1, &e),
	    ERR_TOO_LARGE);
	deep = malloc(200001);
	ck_assert_ptr_nonnull(deep);
	memset(deep, '[', 200000);
	deep[200000] = '\0';
	ck_assert_int_eq(merge(deep), ERR_INVALID);
	free(deep);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	ck_assert_double_eq(st.progress, 42);
	ck_assert_uint_eq(c.reports, 1);

	/* Wrong types and absurd numbers become "unknown". */
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":17,"
	    "\"mc_percent\":1e300,\"mc_remaining_time\":99999999999,"
	    "\"layer_num\":-5,\"total_layer_num\":{},\"nozzle_temper\":1e9,"
	    "\"bed_temper\":\"hot\",\"cooling_fan_speed\":\"99\","
	    "\"spd_lvl\":9,\"spd_mag\":-3,\"subtask_name\":[],"
	    "\"gcode_file\":null,\"hms\":5,\"print_error\":\"x\","
	    "\"ams\":\"none\",\"vt_tray\":3,\"fun\":12,"
	    "\"device\":{\"extruder\":[]}}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_IDLE);
	ck_assert(isnan(st.progress));
	ck_assert_int_eq(st.remaining_s, -1);
	ck_assert_int_eq(st.layer, -1);
	ck_assert_int_eq(st.total_layers, -1);
	ck_assert(isnan(st.nozzle_c));
	ck_assert(isnan(st.bed_c));
	ck_assert_int_eq(st.fan_pct, -1);
	ck_assert_int_eq(st.speed_pct, -1);
	ck_assert_str_eq(st.job, "");
	ck_assert_int_eq(st.nslots, 0);
	ck_assert_int_eq(st.nerrors, 0);
	ck_assert_int_eq(st.control_ok, -1);

	/* Trays of the wrong shapes and ids out of range are skipped. */
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"ams\":[{\"id\":\"9\","
	    "\"tray\":[{\"id\":\"0\",\"tray_type\":\"PLA\"}]},{\"id\":\"0\","
	    "\"tray\":[1,\"x\",{\"id\":\"7\"},{\"id\":\"2\",\"tray_type\":"
	    "\"PETG-HF-WITH-A-VERY-LONG-NAME-INDEED\",\"tray_color\":\"xyz\","
	    "\"remain\":101}]}]}}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.nslots, 1);
	ck_assert_int_eq(st.slots[0].slot, 3);
	ck_assert_uint_eq(strlen(st.slots[0].type), 23);
	ck_assert_str_eq(st.slots[0].color, "");
	ck_assert_int_eq(st.slots[0].remaining_pct, -1);

	/* The cache does not grow without bound. */
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "{\"print\":{\"device\":{"
		    "\"k%zu\":1},\"unknown_%zu\":1,\"hms\":[{\"id\":%zu}],"
		    "\"ams\":{\"ams\":[{\"id\":\"%zu\"}]}}}", i, i, i, i + 10);
		ck_assert_int_eq(merge(buf), 0);
	}
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "{\"print\":{\"device\":{"
		    "\"x%zu\":1},\"ams\":{\"ams\":[{\"id\":\"%zu\"}]}}}", i,
		    i + 200);
		ck_assert_int_eq(merge(buf), 0);
	}
	ck_assert_uint_le(json_object_size(json_object_get(c.print,
	    "device")), BAMBU_MAX_KEYS);
	ck_assert_uint_le(json_array_size(json_object_get(json_object_get(
	    c.print, "ams"), "ams")), BAMBU_MAX_IDS);
	ck_assert_ptr_null(json_object_get(c.print, "unknown_5"));
}
END_TEST

START_TEST(bambu_deep_values_merge_safely)
{
	char	buf[2048];
	size_t	n, i;

	n = 0;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	    "{\"print\":{\"device\":");
	for (i = 0; i < 60; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1");
	for (i = 0; i < 62; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}");
	ck_assert_int_eq(merge(buf), 0);
	ck_assert_int_eq(merge(buf), 0);
	/* Deeper than the scanner goes: refused, even in unknown keys. */
	n = 0;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	    "{\"print\":{\"ipcam\":");
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[");
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}}");
	ck_assert_int_eq(merge(buf), ERR_INVALID);
	ck_assert_int_eq(merge("{\"print\":{\"gcode_state\":\"IDLE\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.status, PRINTER_IDLE);
}
END_TEST

START_TEST(bambu_command_replies_are_read)
{
	struct bambu_reply	r;
	const char		*s;

	s = "{\"print\":{\"command\":\"pause\",\"param\":\"\","
	    "\"sequence_id\":\"41\",\"result\":\"SUCCESS\"}}";
	ck_assert_int_eq(bambu_reply(s, strlen(s), &r, &e), 0);
	ck_assert_str_eq(r.kind, "print");
	ck_assert_str_eq(r.command, "pause");
	ck_assert_str_eq(r.sequence_id, "41");
	ck_assert_int_eq(r.result, 1);
	s = "{\"system\":{\"command\":\"ledctrl\",\"sequence_id\":42,"
	    "\"result\":\"fail\",\"reason\":\"busy\"}}";
	ck_assert_int_eq(bambu_reply(s, strlen(s), &r, &e), 0);
	ck_assert_str_eq(r.kind, "system");
	ck_assert_str_eq(r.sequence_id, "42");
	ck_assert_int_eq(r.result, 0);
	ck_assert_str_eq(r.reason, "busy");
	s = "{\"print\":{\"command\":\"push_status\",\"sequence_id\":\"9\"}}";
	ck_assert_int_eq(bambu_reply(s, strlen(s), &r, &e), 0);
	ck_assert_int_eq(r.result, -1);
	s = "{\"print\":{\"command\":\"pause\"}}";
	ck_assert_int_eq(bambu_reply(s, strlen(s), &r, &e), ERR_INVALID);
	s = "{\"print\":";
	ck_assert_int_eq(bambu_reply(s, strlen(s), &r, &e), ERR_INVALID);
}
END_TEST

START_TEST(bambu_slots_follow_the_units_present)
{
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"ams\":["
	    "{\"id\":\"0\",\"tray\":[{\"id\":\"0\",\"tray_type\":\"PLA\"},"
	    "{\"id\":\"1\"},{\"id\":\"2\"},{\"id\":\"3\"}]},"
	    "{\"id\":\"1\",\"tray\":[{\"id\":\"0\",\"tray_type\":\"OLD\"}]},"
	    "{\"id\":\"2\",\"tray\":[{\"id\":\"3\",\"tray_type\":\"ASA\"},"
	    "{\"id\":\"0\",\"tray_type\":\"PETG\"}]},"
	    "{\"id\":\"128\",\"tray\":[{\"id\":\"0\",\"tray_type\":"
	    "\"PA-CF\",\"remain\":50}]}],"
	    "\"ams_exist_bits\":\"5\",\"tray_now\":\"128\"},"
	    "\"vt_tray\":{\"id\":\"254\",\"tray_type\":\"TPU\"}}}"), 0);
	bambu_state(&c, &st);
	/* Unit 1 is not in ams_exist_bits (0x5): left out. */
	ck_assert_int_eq(st.nslots, 8);
	ck_assert_int_eq(st.slots[0].slot, 1);
	ck_assert_str_eq(st.slots[0].type, "PLA");
	ck_assert_int_eq(st.slots[3].slot, 4);
	ck_assert_int_eq(st.slots[4].slot, 9);
	ck_assert_str_eq(st.slots[4].type, "PETG");
	ck_assert_int_eq(st.slots[5].slot, 12);
	ck_assert_str_eq(st.slots[5].type, "ASA");
	ck_assert_int_eq(st.slots[6].slot, 13);	/* AMS HT */
	ck_assert_str_eq(st.slots[6].type, "PA-CF");
	ck_assert_int_eq(st.slots[6].active, 1);
	ck_assert_int_eq(st.slots[7].slot, 14);	/* external, last */
	ck_assert_str_eq(st.slots[7].type, "TPU");
	ck_assert_int_eq(st.slots[7].active, 0);
	/* Without the bits every unit counts. */
	ck_assert_int_eq(merge("{\"print\":{\"ams\":{\"ams_exist_bits\":"
	    "\"\"}}}"), 0);
	bambu_state(&c, &st);
	ck_assert_int_eq(st.nslots, 9);
	ck_assert_str_eq(st.slots[4].type, "OLD");
	ck_assert_int_eq(st.slots[4].slot, 5);
}
END_TEST

START_TEST(numbers_in_strings_are_read_strictly)
{
	json_t	*j;
	double	 v;

	j = json_pack("[s, s, s, s, s, s, s, s, b, n, f]", " 3 ", "-12.5",
	    "+7", "1e5", "", "12abc", "0x10", "123456789012345678901234567890"
	    "12345", 1, 2.25);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 0), &v), 0);
	ck_assert_double_eq(v, 3);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 1), &v), 0);
	ck_assert_double_eq(v, -12.5);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 2), &v), 0);
	ck_assert_double_eq(v, 7);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 3), &v), -1);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 4), &v), -1);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 5), &v), -1);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 6), &v), -1);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 7), &v), -1);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 8), &v), -1);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 9), &v), -1);
	ck_assert_int_eq(printer_json_num(json_array_get(j, 10), &v), 0);
	ck_assert_double_eq(v, 2.25);
	ck_assert(isnan(printer_num(j, "x")));
	ck_assert_ptr_null(printer_str(NULL, "x"));
	json_decref(j);
	ck_assert(isnan(printer_temp(-51)) && isnan(printer_temp(601)));
	ck_assert_double_eq(printer_temp(-20), -20);
	ck_assert_int_eq(printer_seconds(59.6), 60);
	ck_assert_int_eq(printer_seconds(NAN), -1);
	ck_assert_int_eq(printer_int(99.6, 0, 100), 100);
	ck_assert_int_eq(printer_int(100.4, 0, 100), -1);
}
END_TEST

static const char prusa_printing[] =
    "{\"job\":{\"id\":42,\"progress\":37.0,\"time_remaining\":1800,"
    "\"time_printing\":950},\"storage\":{\"path\":\"/usb/\",\"name\":"
    "\"usb\",\"read_only\":false},\"printer\":{\"state\":\"PRINTING\","
    "\"temp_bed\":60.1,\"target_bed\":60.0,\"temp_nozzle\":215.2,"
    "\"target_nozzle\":215.0,\"axis_z\":1.2,\"flow\":100,\"speed\":100,"
    "\"fan_hotend\":5200,\"fan_print\":3100}}";

START_TEST(prusalink_printing_with_job)
{
	ck_assert_int_eq(prusa(prusa_printing, "{\"id\":42,\"state\":"
	    "\"PRINTING\",\"progress\":38.0,\"time_remaining\":1740,"
	    "\"time_printing\":990,\"inaccurate_estimates\":false,\"file\":{"
	    "\"name\":\"SHAPE~1.BGC\",\"display_name\":"
	    "\"shape_0.2mm_PLA.bgcode\",\"path\":\"/usb\",\"size\":123456,"
	    "\"m_timestamp\":1700000000}}"), 0);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	ck_assert_str_eq(st.job, "shape_0.2mm_PLA.bgcode");
	ck_assert_double_eq(st.progress, 38);
	ck_assert_int_eq(st.remaining_s, 1740);
	ck_assert_double_eq_tol(st.nozzle_c, 215.2, 1e-9);
	ck_assert_double_eq(st.nozzle_target_c, 215);
	ck_assert_double_eq_tol(st.bed_c, 60.1, 1e-9);
	ck_assert_double_eq(st.bed_target_c, 60);
	ck_assert_int_eq(st.speed_pct, 100);
	ck_assert_int_eq(st.fan_pct, -1);	/* RPM, not percent */
	ck_assert_int_eq(st.nslots, 0);
	ck_assert_int_eq(st.nerrors, 0);
	/* Without the job body (204) the status's job still counts. */
	ck_assert_int_eq(prusa(prusa_printing, NULL), 0);
	ck_assert_double_eq(st.progress, 37);
	ck_assert_int_eq(st.remaining_s, 1800);
	ck_assert_str_eq(st.job, "");
	/* Only the short name. */
	ck_assert_int_eq(prusa(prusa_printing, "{\"id\":1,\"file\":{"
	    "\"name\":\"BENCHY.GCO\"}}"), 0);
	ck_assert_str_eq(st.job, "BENCHY.GCO");
}
END_TEST

START_TEST(prusalink_states_map_to_statuses)
{
	static const struct {
		const char		*state;
		enum printer_status	 want;
	} t[] = {
		{ "IDLE", PRINTER_IDLE }, { "READY", PRINTER_IDLE },
		{ "BUSY", PRINTER_PREPARING }, { "PRINTING", PRINTER_PRINTING },
		{ "PAUSED", PRINTER_PAUSED }, { "FINISHED", PRINTER_FINISHED },
		{ "STOPPED", PRINTER_FAILED }, { "ERROR", PRINTER_ERROR },
		{ "ATTENTION", PRINTER_ERROR }, { "UNKNOWN", PRINTER_IDLE },
	};
	char	buf[128];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"printer\":{\"state\":\"%s\"}}",
		    t[i].state);
		ck_assert_int_eq(prusa(buf, NULL), 0);
		ck_assert_msg(st.status == t[i].want, "%s", t[i].state);
		ck_assert_int_eq(st.nerrors, t[i].want == PRINTER_ERROR);
	}
	ck_assert_int_eq(prusa("{\"printer\":{\"state\":\"ATTENTION\"}}",
	    NULL), 0);
	ck_assert_str_eq(st.errors[0].code, "ATTENTION");
}
END_TEST

START_TEST(prusalink_bad_bodies_are_refused)
{
	ck_assert_int_eq(prusa("{\"printer\":{}}", NULL), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "printer.state"));
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);
	ck_assert_int_eq(prusa("{\"printer\":{\"state\":1}}", NULL),
	    ERR_INVALID);
	ck_assert_int_eq(prusa("{\"printer\":", NULL), ERR_INVALID);
	ck_assert_int_eq(prusa(prusa_printing, "{\"id\":"), ERR_INVALID);
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);
	/* Wrong types inside are unknown values. */
	ck_assert_int_eq(prusa("{\"printer\":{\"state\":\"IDLE\","
	    "\"temp_bed\":\"warm\",\"temp_nozzle\":[],\"speed\":1e12},"
	    "\"job\":7}", "{\"file\":\"x\",\"progress\":-4}"), 0);
	ck_assert_int_eq(st.status, PRINTER_IDLE);
	ck_assert(isnan(st.bed_c) && isnan(st.nozzle_c));
	ck_assert_int_eq(st.speed_pct, -1);
	ck_assert(isnan(st.progress));
	ck_assert_str_eq(st.job, "");
}
END_TEST

static const char octo_printing[] =
    "{\"temperature\":{\"tool0\":{\"actual\":214.8,\"target\":220.0,"
    "\"offset\":0},\"bed\":{\"actual\":50.2,\"target\":70.0,\"offset\":5},"
    "\"history\":[]},\"sd\":{\"ready\":true},\"state\":{\"text\":"
    "\"Printing\",\"flags\":{\"operational\":true,\"paused\":false,"
    "\"printing\":true,\"pausing\":false,\"cancelling\":false,"
    "\"resuming\":false,\"finishing\":false,\"sdReady\":true,"
    "\"error\":false,\"ready\":false,\"closedOrError\":false}}}";
static const char octo_job[] =
    "{\"job\":{\"file\":{\"name\":\"whistle_v2.gcode\",\"path\":"
    "\"whistle_v2.gcode\",\"display\":\"whistle v2.gcode\",\"origin\":"
    "\"local\",\"size\":1468987,\"date\":1378847754},"
    "\"estimatedPrintTime\":8811,\"lastPrintTime\":null,\"filament\":{"
    "\"tool0\":{\"length\":810,\"volume\":5.36}},\"user\":\"shop\"},"
    "\"progress\":{\"completion\":22.98,\"filepos\":337942,"
    "\"printTime\":276,\"printTimeLeft\":912,\"printTimeLeftOrigin\":"
    "\"linear\"},\"state\":\"Printing\",\"error\":null}";

static const char *
octo_flags(char *buf, size_t size, const char *text, const char *flags)
{
	snprintf(buf, size, "{\"temperature\":{\"tool0\":{\"actual\":25,"
	    "\"target\":null}},\"state\":{\"text\":\"%s\",\"flags\":{%s}}}",
	    text, flags);
	return buf;
}

START_TEST(octoprint_printing_with_job)
{
	ck_assert_int_eq(octo(octo_printing, octo_job), 0);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	ck_assert_str_eq(st.job, "whistle v2.gcode");
	ck_assert_double_eq_tol(st.progress, 22.98, 1e-9);
	ck_assert_int_eq(st.remaining_s, 912);
	ck_assert_double_eq_tol(st.nozzle_c, 214.8, 1e-9);
	ck_assert_double_eq(st.nozzle_target_c, 220);
	ck_assert_double_eq_tol(st.bed_c, 50.2, 1e-9);
	ck_assert_double_eq(st.bed_target_c, 70);
	ck_assert(isnan(st.chamber_c));
	ck_assert_int_eq(st.nerrors, 0);
}
END_TEST

START_TEST(octoprint_flags_decide_the_status)
{
	char	buf[512];

	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf), "Paused",
	    "\"operational\":true,\"paused\":true,\"printing\":false"),
	    NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_PAUSED);
	ck_assert(isnan(st.nozzle_target_c));	/* target null */
	ck_assert_double_eq(st.nozzle_c, 25);
	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf), "Pausing",
	    "\"operational\":true,\"pausing\":true,\"printing\":true"),
	    NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_PAUSED);
	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf), "Cancelling",
	    "\"operational\":true,\"cancelling\":true,\"printing\":true"),
	    NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_FAILED);
	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf), "Error",
	    "\"operational\":false,\"error\":true,\"closedOrError\":true"),
	    NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_ERROR);
	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf), "Offline",
	    "\"operational\":false,\"closedOrError\":true"), NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);
	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf),
	    "Starting print from SD", "\"operational\":true"), NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_PREPARING);
	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf), "Operational",
	    "\"operational\":true,\"ready\":true"), NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_IDLE);
	/* Operational with the selected job at 100 %: finished. */
	ck_assert_int_eq(octo(octo_flags(buf, sizeof(buf), "Operational",
	    "\"operational\":true,\"ready\":true"), "{\"job\":{\"file\":{"
	    "\"name\":\"a.gcode\"}},\"progress\":{\"completion\":100.0,"
	    "\"printTimeLeft\":0},\"state\":\"Operational\"}"), 0);
	ck_assert_int_eq(st.status, PRINTER_FINISHED);
	ck_assert_int_eq(st.remaining_s, 0);
}
END_TEST

START_TEST(octoprint_text_409_and_bad_bodies)
{
	/* 409 from /api/printer: no printer connected. */
	ck_assert_int_eq(octo(NULL, octo_job), 0);
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);
	ck_assert_str_eq(st.job, "whistle v2.gcode");
	/* ...unless the job says the connection ended on an error. */
	ck_assert_int_eq(octo(NULL, "{\"state\":\"Error\",\"error\":"
	    "\"Thermal runaway\"}"), 0);
	ck_assert_int_eq(st.status, PRINTER_ERROR);
	ck_assert_int_eq(st.nerrors, 1);
	/* Without flags the text decides. */
	ck_assert_int_eq(octo("{\"state\":{\"text\":\"Paused\"}}", NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_PAUSED);
	ck_assert_int_eq(octo("{\"state\":{\"text\":\"Offline after "
	    "error\"}}", NULL), 0);
	ck_assert_int_eq(st.status, PRINTER_ERROR);
	ck_assert_int_eq(octo("{\"temperature\":{}}", "{\"state\":"
	    "\"Printing\"}"), 0);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	ck_assert_int_eq(octo("{\"temperature\":{}}", NULL), ERR_INVALID);
	ck_assert_int_eq(octo("{\"state\":", NULL), ERR_INVALID);
	ck_assert_int_eq(octo(octo_printing, "[]"), ERR_INVALID);
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);
	/* A job error is passed on; wrong types are unknown. */
	ck_assert_int_eq(octo(octo_printing, "{\"job\":{\"file\":7},"
	    "\"progress\":{\"completion\":\"x\",\"printTimeLeft\":-9},"
	    "\"error\":\"Thermal runaway\"}"), 0);
	ck_assert(isnan(st.progress));
	ck_assert_int_eq(st.remaining_s, -1);
	ck_assert_int_eq(st.nerrors, 1);
	ck_assert_str_eq(st.errors[0].text, "Thermal runaway");
}
END_TEST

static const char moon_printing[] =
    "{\"result\":{\"eventtime\":578243.57,\"status\":{"
    "\"print_stats\":{\"filename\":\"cube_0.2mm_PETG.gcode\","
    "\"total_duration\":1260.5,\"print_duration\":1200.0,"
    "\"filament_used\":1503.2,\"state\":\"printing\",\"message\":\"\","
    "\"info\":{\"total_layer\":120,\"current_layer\":30}},"
    "\"virtual_sdcard\":{\"file_path\":\"/home/pi/printer_data/gcodes/"
    "cube_0.2mm_PETG.gcode\",\"progress\":0.24,\"is_active\":true,"
    "\"file_position\":240000,\"file_size\":1000000},"
    "\"display_status\":{\"message\":null,\"progress\":0.25},"
    "\"extruder\":{\"temperature\":239.8,\"target\":240.0,\"power\":0.4,"
    "\"can_extrude\":true},\"heater_bed\":{\"temperature\":80.1,"
    "\"target\":80.0,\"power\":0.2},\"fan\":{\"speed\":0.5,\"rpm\":null},"
    "\"webhooks\":{\"state\":\"ready\",\"state_message\":"
    "\"Printer is ready\"}}}}";

START_TEST(moonraker_printing_estimates_remaining)
{
	ck_assert_int_eq(moon(moon_printing), 0);
	ck_assert_int_eq(st.status, PRINTER_PRINTING);
	ck_assert_str_eq(st.job, "cube_0.2mm_PETG.gcode");
	ck_assert_double_eq(st.progress, 25);
	ck_assert_int_eq(st.remaining_s, 3600);	/* 1200 s for 25 % */
	ck_assert_int_eq(st.layer, 30);
	ck_assert_int_eq(st.total_layers, 120);
	ck_assert_double_eq_tol(st.nozzle_c, 239.8, 1e-9);
	ck_assert_double_eq(st.nozzle_target_c, 240);
	ck_assert_double_eq_tol(st.bed_c, 80.1, 1e-9);
	ck_assert_double_eq(st.bed_target_c, 80);
	ck_assert_int_eq(st.fan_pct, 50);
	ck_assert_int_eq(st.speed_pct, -1);
	ck_assert_int_eq(st.nerrors, 0);
	/* Without the result wrapper (websocket shape), display progress
	 * missing: the file position counts; null layers are unknown. */
	ck_assert_int_eq(moon("{\"status\":{\"print_stats\":{\"state\":"
	    "\"paused\",\"print_duration\":100,\"info\":{\"total_layer\":"
	    "null,\"current_layer\":null}},\"virtual_sdcard\":{\"progress\":"
	    "0.5},\"gcode_move\":{\"speed_factor\":1.5}}}"), 0);
	ck_assert_int_eq(st.status, PRINTER_PAUSED);
	ck_assert_double_eq(st.progress, 50);
	ck_assert_int_eq(st.remaining_s, 100);
	ck_assert_int_eq(st.layer, -1);
	ck_assert_int_eq(st.speed_pct, 150);
}
END_TEST

START_TEST(moonraker_states_and_klippy)
{
	static const struct {
		const char		*state;
		enum printer_status	 want;
	} t[] = {
		{ "standby", PRINTER_IDLE }, { "printing", PRINTER_PRINTING },
		{ "paused", PRINTER_PAUSED }, { "complete", PRINTER_FINISHED },
		{ "cancelled", PRINTER_FAILED }, { "error", PRINTER_ERROR },
		{ "new_state", PRINTER_IDLE },
	};
	char	buf[256];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"result\":{\"status\":{"
		    "\"print_stats\":{\"state\":\"%s\",\"message\":\"Move out "
		    "of range\"},\"webhooks\":{\"state\":\"ready\"}}}}",
		    t[i].state);
		ck_assert_int_eq(moon(buf), 0);
		ck_assert_msg(st.status == t[i].want, "%s", t[i].state);
	}
	ck_assert_int_eq(st.nerrors, 0);
	ck_assert_int_eq(moon("{\"result\":{\"status\":{\"print_stats\":{"
	    "\"state\":\"error\",\"message\":\"Move out of range\"}}}}"), 0);
	ck_assert_int_eq(st.nerrors, 1);
	ck_assert_str_eq(st.errors[0].text, "Move out of range");
	ck_assert_int_eq(moon("{\"result\":{\"status\":{\"print_stats\":{"
	    "\"state\":\"printing\"},\"webhooks\":{\"state\":\"shutdown\","
	    "\"state_message\":\"MCU 'mcu' shutdown: Timer too close\"}}}}"),
	    0);
	ck_assert_int_eq(st.status, PRINTER_ERROR);
	ck_assert_str_eq(st.errors[0].code, "klippy_shutdown");
	ck_assert_ptr_nonnull(strstr(st.errors[0].text, "Timer too close"));
	ck_assert_int_eq(moon("{\"result\":{\"status\":{\"webhooks\":{"
	    "\"state\":\"startup\"}}}}"), 0);
	ck_assert_int_eq(st.status, PRINTER_PREPARING);
	ck_assert_int_eq(moon("{\"result\":{\"status\":{\"print_stats\":{"
	    "\"state\":\"complete\",\"print_duration\":5000},"
	    "\"virtual_sdcard\":{\"progress\":1.0}}}}"), 0);
	ck_assert_int_eq(st.status, PRINTER_FINISHED);
	ck_assert_double_eq(st.progress, 100);
	ck_assert_int_eq(st.remaining_s, 0);
}
END_TEST

START_TEST(moonraker_bad_bodies_are_refused)
{
	ck_assert_int_eq(moon("{\"error\":{\"code\":503,\"message\":"
	    "\"Klippy Host not connected\"}}"), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "Klippy Host"));
	ck_assert_int_eq(moon("{\"result\":{\"eventtime\":1}}"), ERR_INVALID);
	ck_assert_int_eq(moon("{\"result\":{\"status\":"), ERR_INVALID);
	ck_assert_int_eq(moon("\"ok\""), ERR_INVALID);
	ck_assert_int_eq(st.status, PRINTER_OFFLINE);
	ck_assert_int_eq(moon("{\"result\":{\"status\":{\"print_stats\":[],"
	    "\"extruder\":{\"temperature\":\"NaN\",\"target\":1e400},"
	    "\"fan\":{\"speed\":2},\"display_status\":{\"progress\":7},"
	    "\"virtual_sdcard\":{\"progress\":-1}}}}"), ERR_INVALID);
	ck_assert_int_eq(moon("{\"result\":{\"status\":{\"print_stats\":[],"
	    "\"extruder\":{\"temperature\":\"NaN\",\"target\":1e300},"
	    "\"fan\":{\"speed\":2},\"display_status\":{\"progress\":7},"
	    "\"virtual_sdcard\":{\"progress\":-1}}}}"), 0);
	ck_assert_int_eq(st.status, PRINTER_IDLE);
	ck_assert(isnan(st.nozzle_c) && isnan(st.nozzle_target_c));
	ck_assert_int_eq(st.fan_pct, -1);
	ck_assert(isnan(st.progress));
}
END_TEST

START_TEST(strings_are_cut_on_character_boundaries)
{
	char	out[8];

	printer_copy(out, sizeof(out), "ab\xc3\xa4\xc3\xb6\xc3\xbc");
	ck_assert_str_eq(out, "ab\xc3\xa4\xc3\xb6");
	printer_copy(out, sizeof(out), "a\tb\nc\x7f");
	ck_assert_str_eq(out, "abc");
	printer_copy(out, sizeof(out), "\xe2\x82");
	ck_assert_str_eq(out, "");
	printer_copy(out, sizeof(out), NULL);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(merge("{\"print\":{\"subtask_name\":\"Zahnrad "
	    "\\u00fcber Gr\\u00f6\\u00dfe\\n\"}}"), 0);
	bambu_state(&c, &st);
	ck_assert_str_eq(st.job, "Zahnrad \xc3\xbc" "ber Gr\xc3\xb6\xc3\x9f"
	    "e");
}
END_TEST

/* ---- print runs (domain/runs.c) ---- */

static void
run_state(struct printer_state *rs, enum printer_status status,
    const char *job, double pct)
{
	printer_state_init(rs);
	rs->status = status;
	snprintf(rs->job, sizeof(rs->job), "%s", job);
	rs->progress = pct;
}

START_TEST(runs_open_on_a_job_and_end_on_the_printers_verdict)
{
	struct printer_state	rs;
	struct runs_step	step;

	run_state(&rs, PRINTER_IDLE, "", NAN);
	runs_decide(NULL, NAN, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_KEEP);
	run_state(&rs, PRINTER_PREPARING, "gear.gcode", 0);
	runs_decide(NULL, NAN, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_OPEN);
	/* a job name is needed: a busy printer without one opens nothing */
	run_state(&rs, PRINTER_PRINTING, "", 10);
	runs_decide(NULL, NAN, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_KEEP);
	run_state(&rs, PRINTER_PAUSED, "gear.gcode", 40);
	runs_decide("gear.gcode", 39, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_KEEP);
	run_state(&rs, PRINTER_FINISHED, "gear.gcode", 100);
	runs_decide("gear.gcode", 97, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_CLOSE);
	ck_assert_int_eq(step.result, RUNS_COMPLETED);
	ck_assert_int_eq(step.seen_end, 1);
	run_state(&rs, PRINTER_FAILED, "gear.gcode", 12);
	runs_decide("gear.gcode", 12, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_CLOSE);
	ck_assert_int_eq(step.result, RUNS_FAILED);
	ck_assert_str_eq(runs_result_name(step.result), "failed");
}
END_TEST

START_TEST(runs_errors_end_prints_only_where_the_printer_drops_them)
{
	struct printer_state	rs;
	struct runs_step	step;

	run_state(&rs, PRINTER_ERROR, "gear.gcode", 40);
	runs_decide("gear.gcode", 40, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_KEEP);
	runs_decide("gear.gcode", 40, &rs, 1, &step);
	ck_assert_int_eq(step.action, RUNS_CLOSE);
	ck_assert_int_eq(step.result, RUNS_FAILED);
	ck_assert_int_eq(step.seen_end, 1);
	/* an alert after a finished print opens no run */
	run_state(&rs, PRINTER_ERROR, "gear.gcode", 100);
	runs_decide(NULL, NAN, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_KEEP);
	/* offline ends nothing: the printer may come back mid-print */
	run_state(&rs, PRINTER_OFFLINE, "", NAN);
	runs_decide("gear.gcode", 55, &rs, 1, &step);
	ck_assert_int_eq(step.action, RUNS_KEEP);
}
END_TEST

START_TEST(runs_an_unseen_end_is_judged_by_the_last_progress)
{
	struct printer_state	rs;
	struct runs_step	step;

	/* idle again: nearly done counts as completed, else failed */
	run_state(&rs, PRINTER_IDLE, "", NAN);
	runs_decide("gear.gcode", 96, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_CLOSE);
	ck_assert_int_eq(step.result, RUNS_COMPLETED);
	ck_assert_int_eq(step.seen_end, 0);
	runs_decide("gear.gcode", 60, &rs, 0, &step);
	ck_assert_int_eq(step.result, RUNS_FAILED);
	runs_decide("gear.gcode", NAN, &rs, 0, &step);
	ck_assert_int_eq(step.result, RUNS_FAILED);
	/* another file: the old run ends, a new one opens */
	run_state(&rs, PRINTER_PRINTING, "lid.gcode", 3);
	runs_decide("gear.gcode", 99, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_CLOSE_OPEN);
	ck_assert_int_eq(step.result, RUNS_COMPLETED);
	/* the same file from the start again: a second run */
	run_state(&rs, PRINTER_PRINTING, "gear.gcode", 2);
	runs_decide("gear.gcode", 80, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_CLOSE_OPEN);
	ck_assert_int_eq(step.result, RUNS_FAILED);
	/* a finished report of another file ends the open one by progress */
	run_state(&rs, PRINTER_FINISHED, "lid.gcode", 100);
	runs_decide("gear.gcode", 30, &rs, 0, &step);
	ck_assert_int_eq(step.action, RUNS_CLOSE);
	ck_assert_int_eq(step.result, RUNS_FAILED);
	ck_assert_int_eq(step.seen_end, 0);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("printers");
	tc = tcase_create("printers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, init_is_unknown_and_offline);
	tcase_add_test(tc, bambu_x1_full_report_maps_every_field);
	tcase_add_test(tc, bambu_p1_partial_reports_merge_over_messages);
	tcase_add_test(tc, bambu_gcode_states_map_to_statuses);
	tcase_add_test(tc, bambu_string_numbers_are_read);
	tcase_add_test(tc, bambu_speed_levels_and_fun_bit);
	tcase_add_test(tc, bambu_hms_codes_are_formatted_and_described);
	tcase_add_test(tc, bambu_print_error_and_cancel);
	tcase_add_test(tc, bambu_newer_firmware_packed_temperatures_win);
	tcase_add_test(tc, bambu_other_messages_leave_the_cache);
	tcase_add_test(tc, bambu_unchanged_values_are_skipped_never_lost);
	tcase_add_test(tc, bambu_hostile_reports_are_refused_or_bounded);
	tcase_add_test(tc, bambu_deep_values_merge_safely);
	tcase_add_test(tc, bambu_command_replies_are_read);
	tcase_add_test(tc, bambu_slots_follow_the_units_present);
	tcase_add_test(tc, numbers_in_strings_are_read_strictly);
	tcase_add_test(tc, prusalink_printing_with_job);
	tcase_add_test(tc, prusalink_states_map_to_statuses);
	tcase_add_test(tc, prusalink_bad_bodies_are_refused);
	tcase_add_test(tc, octoprint_printing_with_job);
	tcase_add_test(tc, octoprint_flags_decide_the_status);
	tcase_add_test(tc, octoprint_text_409_and_bad_bodies);
	tcase_add_test(tc, moonraker_printing_estimates_remaining);
	tcase_add_test(tc, moonraker_states_and_klippy);
	tcase_add_test(tc, moonraker_bad_bodies_are_refused);
	tcase_add_test(tc, strings_are_cut_on_character_boundaries);
	tcase_add_test(tc, runs_open_on_a_job_and_end_on_the_printers_verdict);
	tcase_add_test(tc,
	    runs_errors_end_prints_only_where_the_printer_drops_them);
	tcase_add_test(tc, runs_an_unseen_end_is_judged_by_the_last_progress);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
