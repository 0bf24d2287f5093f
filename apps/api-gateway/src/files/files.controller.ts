import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@app/auth';
import { FILES_PATH } from '@app/mirror';
import { ApiProblem, ApiProblems } from '../http/api-problems.decorator.js';
import { FileRefParamDto } from './dto/file-ref-param.dto.js';
import { FilesService } from './files.service.js';

/** Notion-hosted files behind links that never expire. */
@ApiTags('files')
@Controller(FILES_PATH)
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Get(':ref')
  @Public()
  @ApiOperation({
    summary: 'A Notion-hosted file, by a link that never expires',
    description:
      'Every Notion-hosted file the API serves (files property values, icons, covers, images and files in ' +
      'page bodies) is a link to this route. It needs no token (it works in `<img src>`): the ref is signed ' +
      'and bound to the project, the page and the file, and is checked against the mirror at each use, so ' +
      'a page that left the database, a deleted project or a rotated signing key revoke it (404). Answers a ' +
      "redirect to Notion's signed URL, refreshed through Notion's API when it is about to expire. An " +
      'altered or forged ref answers 403.',
  })
  @ApiResponse({ status: 302, description: "Redirect to the file's current signed URL (`Location`)" })
  @ApiProblem(403, 'Not a file link of ours, or altered (`file-link-invalid`)')
  @ApiProblem(404, 'The file, its page or its project is gone, or the link was revoked (`file-not-found`)')
  @ApiProblems(429, 503)
  async file(@Param() params: FileRefParamDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const target = await this.files.redirect(params.ref);
    void reply
      .status(302)
      .header('location', target.url)
      .header('cache-control', `private, max-age=${target.maxAgeSeconds}`)
      // Notion's signed URL must not travel on as a Referer.
      .header('referrer-policy', 'no-referrer');
  }
}
